"""Readers that turn one file into a flat run of blocks: headings and paragraphs, with pages.

Each reader knows only its format. Turning blocks into sections (heading paths, ids, pages) is
done once, for every format, in `assistant.ingest.documents`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.ingest.limits import Limits

from assistant.ingest.formats import docx, html, markdown, pdf, text
from assistant.ingest.formats.blocks import Block

# A reader checks the limits while it reads, so a hostile file is refused before the costly work.
Reader = Callable[[Path, "Limits"], list[Block]]


_READERS: dict[str, Reader] = {
    ".md": markdown.read,
    ".markdown": markdown.read,
    ".txt": text.read,
    ".text": text.read,
    ".pdf": pdf.read_within,
    ".docx": docx.read,
    ".html": html.read,
    ".htm": html.read,
}
SUPPORTED_SUFFIXES = tuple(_READERS)


def reader_for(path: Path) -> Reader | None:
    """The reader for a file's extension, or None when the format is not supported."""
    return _READERS.get(path.suffix.lower())
