"""The one thing every reader returns: a flat run of blocks (headings and paragraphs, with pages)."""

from __future__ import annotations

from dataclasses import dataclass


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
