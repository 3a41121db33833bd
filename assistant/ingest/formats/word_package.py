"""A Word file is a zip of XML parts: its unpacked size and its amount of text are checked while
it is decompressed, before python-docx parses any of it, so a compression bomb costs one pass of
`zlib` over at most the limit and never a parse tree."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from xml.parsers import expat

from assistant.ingest.limits import Limits, check_chars, check_unpacked

_WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_BODY = "word/document.xml"  # the only part whose text is read
_CHUNK = 1 << 20


def check_package(path: Path, limits: Limits) -> None:
    """Raise LimitError when the package is over a limit; say nothing about damage, which
    python-docx reports in its own words when it opens the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            check_unpacked(path.name, sum(p.file_size for p in parts), limits, declared=True)
            unpacked = 0
            for part in parts:
                counter = _TextCounter(path.name, limits) if part.filename == _BODY else None
                with archive.open(part) as stream:
                    while chunk := stream.read(_CHUNK):
                        unpacked += len(chunk)  # counted as it arrives, whatever the header said
                        check_unpacked(path.name, unpacked, limits, declared=False)
                        if counter is not None:
                            counter.feed(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError, ValueError):
        return


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
