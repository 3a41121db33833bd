"""What a file really holds, from its first bytes, so a file whose extension lies gets a sentence
that says so instead of a parser's complaint."""

from __future__ import annotations

import io
import re
import zipfile

from assistant.errors import DocumentError

_KIND_OF_SUFFIX = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html",
                   ".md": "text", ".markdown": "text", ".txt": "text", ".text": "text"}
_NAMES = {"pdf": ("a PDF", ".pdf"), "docx": ("a Word document", ".docx"), "html": ("a web page", ".html"),
          "text": ("text", ".txt"), "zip": ("a zip archive", "")}
_HTML_START = re.compile(rb"\s*(<!doctype\s+html|<html)", re.IGNORECASE)


def content_kind(data: bytes) -> str | None:
    """pdf, docx, zip or html when the bytes say so plainly; None when they do not."""
    if b"%PDF-" in data[:1024]:  # readers accept a little junk before the header, so do we
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else "zip"
        except zipfile.BadZipFile:
            return None  # damaged: the reader says what is wrong with it
    if _HTML_START.match(data[:1024]):
        return "html"
    return None


def check_kind(source: str, suffix: str, data: bytes) -> None:
    """Raise DocumentError when the content is plainly another format than the extension says."""
    expected = _KIND_OF_SUFFIX.get(suffix.lower())
    actual = content_kind(data)
    if expected is None or actual is None or actual == expected:
        return
    if expected == "text" and actual == "html":
        return  # Markdown and text may hold HTML; they are read as text
    really, extension = _NAMES[actual]
    named, _ = _NAMES[expected]
    fix = f"rename it to end in {extension} and add it again" if extension else "add the documents inside it"
    raise DocumentError(f"{source} is really {really}, not {named} as its name says; {fix}.")
