"""A Word file is a zip of XML parts: its unpacked size and its amount of text are checked while
it is decompressed, before python-docx parses any of it, so a compression bomb costs one pass of
`zlib` over at most the limit and never a parse tree."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from assistant.ingest.limits import Limits, check_chars, check_unpacked

_WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_BODY = "word/document.xml"  # the only part whose text is read
_CHUNK = 1 << 20


def check_package(path: Path, limits: Limits) -> None:
    """Raise LimitError when the package is over a limit; say nothing about damage, which
    python-docx reports in its own words when it opens the file."""
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as handle:
            parts = archive.infolist()
            check_unpacked(path.name, sum(p.file_size for p in parts), limits, declared=True)
            unpacked = 0
            for part in parts:
                counter = _TextCounter(path.name, limits) if part.filename == _BODY else None
                for chunk in _inflated(handle, part):
                    unpacked += len(chunk)  # what really comes out, whatever the headers say
                    check_unpacked(path.name, unpacked, limits, declared=False)
                    if counter is not None:
                        counter.feed(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError, ValueError, struct.error):
        return


def _inflated(handle: BinaryIO, part: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes as they really unpack, in pieces of at most `_CHUNK`.

    Python's zipfile trusts the declared size: a part that claims 1 KB but holds 220 MB is
    inflated whole, in memory, before the mismatch is noticed. So the stored deflate stream is
    read here directly, and every byte it yields is counted."""
    handle.seek(part.header_offset)
    header = handle.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(part.filename)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(part.header_offset + 30 + name_length + extra_length)
    left = part.compress_size
    if part.compress_type == zipfile.ZIP_STORED:
        while left > 0 and (raw := handle.read(min(left, _CHUNK))):
            left -= len(raw)
            yield raw
        return
    if part.compress_type != zipfile.ZIP_DEFLATED:
        raise NotImplementedError(part.compress_type)  # Word writes only these two
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    while left > 0 and (raw := handle.read(min(left, 1 << 16))):
        left -= len(raw)
        while raw:
            yield inflater.decompress(raw, _CHUNK)
            raw = inflater.unconsumed_tail


class _Declaration(Exception):
    """A DTD: Word never writes one. Counting stops so no entity is expanded here."""


class _TextCounter:
    """Counts the characters inside `w:t` elements as the XML streams past, without keeping any."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name, self.limits = name, limits
        self.chars = 0
        self.inside = 0
        self.active = True
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = False  # text arrives in pieces, however long one paragraph is
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.StartDoctypeDeclHandler = self._doctype
        self.parser = parser

    def feed(self, chunk: bytes) -> None:
        if not self.active:
            return
        try:
            self.parser.Parse(chunk, False)
        except (expat.ExpatError, _Declaration):
            self.active = False  # damaged or unusual XML: python-docx refuses it in its own words

    def _start(self, name: str, attributes: dict) -> None:
        if name == f"{_WORD} t":
            self.inside += 1

    def _end(self, name: str) -> None:
        if name == f"{_WORD} t":
            self.inside -= 1

    def _text(self, data: str) -> None:
        if self.inside:
            self.chars += len(data)
            check_chars(self.name, self.chars, self.limits)

    def _doctype(self, *args) -> None:
        raise _Declaration
