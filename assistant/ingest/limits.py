"""Size limits a document must keep to, checked while it is read so a hostile file costs little.

A council guide is tens of thousands of words; the defaults sit far above that and far below what
slows a laptop. Each refusal is one sentence naming the file, the limit and the setting to raise.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.errors import LimitError
from assistant.settings import Settings, env_name


@dataclass(frozen=True)
class Limits:
    document_chars: int
    pdf_pages: int
    unpacked_bytes: int
    sections: int
    html_depth: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            document_chars=settings.max_document_chars,
            pdf_pages=settings.max_pdf_pages,
            unpacked_bytes=settings.max_unpacked_mb * 2**20,
            sections=settings.max_sections,
            html_depth=settings.max_html_depth,
        )


def default_limits() -> Limits:
    return Limits.from_settings(Settings())


def over_limit(name: str, what: str, setting: str) -> LimitError:
    """`what` completes "<name> ..." and says by how much; the sentence ends with the setting."""
    return LimitError(f"{name} {what}; raise {env_name(setting)} to read it.", setting)


def check_chars(name: str, count: int, limits: Limits) -> None:
    if count > limits.document_chars:
        raise over_limit(
            name, f"has more than {limits.document_chars:,} characters of text, the limit for one document",
            "max_document_chars",
        )


def check_pages(name: str, pages: int, limits: Limits) -> None:
    if pages > limits.pdf_pages:
        raise over_limit(name, f"has {pages:,} pages, over the limit of {limits.pdf_pages:,} for one PDF",
                         "max_pdf_pages")


def check_unpacked(name: str, size: int, limits: Limits, declared: bool) -> None:
    if size > limits.unpacked_bytes:
        verb = "declares" if declared else "unpacks to"
        raise over_limit(
            name, f"{verb} more than {limits.unpacked_bytes / 2**20:,.0f} MB of contents once unzipped, "
            "the limit for a Word file", "max_unpacked_mb",
        )


def check_sections(name: str, headings: int, limits: Limits) -> None:
    if headings > limits.sections:
        raise over_limit(name, f"has {headings:,} headings, over the limit of {limits.sections:,} sections "
                         "for one document", "max_sections")


def check_depth(name: str, depth: int, limits: Limits) -> None:
    if depth > limits.html_depth:
        raise over_limit(name, f"nests its HTML more than {limits.html_depth} elements deep, the limit "
                         "for a web page", "max_html_depth")
