"""Shared helpers for formats whose text arrives as bytes or loose lines."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import DocumentError
from assistant.ingest.limits import Limits, check_chars, default_limits

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_text_file(path: Path, limits: Limits | None = None) -> str:
    """Decode a text file, refusing binary content that merely carries a text extension, and a file
    whose characters (markup included: parsing costs by the character) pass the document limit."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = _from_utf16(data, path)  # Windows Notepad's "Unicode": full of zero bytes, still text
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{path.name} looks like a binary file, not text.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise DocumentError(f"{path.name} is not readable text (unknown encoding).")
    # A few stray control characters are noise; many mean the file is not really text.
    controls = len(_CONTROL.findall(text))
    if text and controls / len(text) > 0.01:
        raise DocumentError(f"{path.name} looks like a binary file, not text.")
    check_chars(path.name, len(text), limits or default_limits())
    return _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _from_utf16(data: bytes, path: Path) -> bytes:
    try:
        return data.decode("utf-16").encode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError(f"{path.name} is not readable text (broken UTF-16).") from None
