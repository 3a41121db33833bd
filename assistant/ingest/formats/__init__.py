"""Readers that turn one file into a flat run of blocks: headings and paragraphs, with pages.

Each reader knows only its format. Turning blocks into sections (heading paths, ids, pages) is
done once, for every format, in `assistant.ingest.documents`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.ingest.limits import Limits


@dataclass(frozen=True)
class Block:
    """A heading (level >= 1) or a paragraph (level 0), and the PDF page(s) it sits on."""

    text: str
    level: int = 0
    page: int | None = None
    page_end: int | None = None  # set when a paragraph runs on over a page break

    @property
    def is_heading(self) -> bool:
        return self.level > 0


# A reader checks the limits while it reads, so a hostile file is refused before the costly work.
Reader = Callable[[Path, "Limits"], list[Block]]


def reader_for(path: Path) -> Reader | None:
    """The reader for a file's extension, or None when the format is not supported."""
    from assistant.ingest.formats import docx, html, markdown, pdf, text

    readers: dict[str, Reader] = {
        ".md": markdown.read,
        ".markdown": markdown.read,
        ".txt": text.read,
        ".text": text.read,
        ".pdf": pdf.read_within,
        ".docx": docx.read,
        ".html": html.read,
        ".htm": html.read,
    }
    return readers.get(path.suffix.lower())


SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".text", ".pdf", ".docx", ".html", ".htm")
