"""Files on disk become sections: a title, the heading path above it, its text, source and pages.

Every format's reader yields a flat run of blocks; `sections_from_blocks` builds the structure once
for all of them. A section's id comes from its source and heading path, so it survives a rebuild.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import DocumentError, LimitError, UsageError
from assistant.ingest.formats import SUPPORTED_SUFFIXES, reader_for
from assistant.ingest.formats.blocks import Block
from assistant.ingest.formats.sniff import check_kind
from assistant.ingest.limits import Limits, check_chars, check_sections, default_limits

# Sections without headings are cut near this size so each stays readable as a citation.
_UNSTRUCTURED_CHARS = 1500
_NOT_DOCUMENTS = {"readme.md", "readme.txt", "readme"}


@dataclass(frozen=True)
class Section:
    section_id: str
    title: str
    path: tuple[str, ...]
    source: str
    text: str
    order: int
    page_start: int | None = None
    page_end: int | None = None

    @property
    def level(self) -> int:
        return len(self.path)

    @property
    def page(self) -> int | None:
        return self.page_start

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p.strip()]


def format_reference(section: Section) -> str:
    """'2 Leadership › 2.1 A chief digital officer — guide.pdf, p. 4' for any section."""
    where = section.source
    if section.page_start is not None:
        pages = section.page_start
        if section.page_end and section.page_end != section.page_start:
            where += f", pp. {pages}–{section.page_end}"
        else:
            where += f", p. {pages}"
    return f"{' › '.join(section.path)} — {where}"


def table_of_contents(sections: Iterable[Section]) -> list[Section]:
    """Sections in reading order, grouped by source file: the app's contents and `assistant sections`."""
    return sorted(sections, key=lambda s: (s.source, s.order))


@dataclass
class SourceFile:
    """One document found on disk, with the name it is cited by."""

    path: Path
    source: str
    root: Path | None = None  # the folder it was found in, when ingested as part of a folder
    sha256: str = ""
    sections: list[Section] = field(default_factory=list)


def find_files(paths: list[Path]) -> tuple[list[SourceFile], list[str]]:
    """Expand folders; return supported files and one message per path that cannot be used."""
    found: list[SourceFile] = []
    problems: list[str] = []
    for path in paths:
        if not path.exists():
            problems.append(f"{path} does not exist.")
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            for file in files:
                if file.name.lower() in _NOT_DOCUMENTS:
                    continue  # a folder's own notes, not part of the guide
                if file.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(SourceFile(file, file.relative_to(path).as_posix(), root=path))
                else:
                    problems.append(_unsupported(file))
        elif path.suffix.lower() in SUPPORTED_SUFFIXES:
            found.append(SourceFile(path, path.name))
        else:
            problems.append(_unsupported(path))
    return _distinct(found, problems), problems


def _distinct(files: list[SourceFile], problems: list[str]) -> list[SourceFile]:
    """A file given twice is read once; two files cited by the same name cannot both be indexed."""
    by_source: dict[str, SourceFile] = {}
    for file in files:
        first = by_source.setdefault(file.source, file)
        if first is not file and first.path.resolve() != file.path.resolve():
            problems.append(
                f"{file.path} has the same name as {first.path} ({file.source}); "
                "rename one of them so each can be cited."
            )
    return list(by_source.values())


def _hidden(file: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(root).parts)


def _unsupported(path: Path) -> str:
    kinds = ", ".join(sorted({s.lstrip(".") for s in SUPPORTED_SUFFIXES}))
    return f"{path.name}: unsupported file type {path.suffix or '(none)'}; use one of {kinds}."


def read_sections(file: SourceFile, max_bytes: int | None = None, limits: Limits | None = None
                  ) -> list[Section]:
    """Read one file into sections, or raise DocumentError naming it.

    Args:
        file: The document found on disk.
        max_bytes: Refuse a larger file before reading any of it (None: no limit).
        limits: What the document may hold; each reader checks them as it reads (LimitError).
    """
    limits = limits or default_limits()
    reader = reader_for(file.path)
    if reader is None:
        raise UsageError(_unsupported(file.path))
    try:
        size = file.path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise LimitError(
                f"{file.source} is {size / 2**20:,.0f} MB, over the {max_bytes / 2**20:,.0f} MB "
                "limit for one document; split it or raise ASSISTANT_MAX_FILE_MB.", "max_file_mb"
            )
        data = file.path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{file.source} could not be read ({exc.strerror or exc}).") from None
    if not data.strip():
        raise DocumentError(f"{file.source} is empty.")
    file.sha256 = hashlib.sha256(data).hexdigest()
    check_kind(file.source, file.path.suffix, data)
    try:
        blocks = reader(file.path, limits)
    except FileNotFoundError:
        raise DocumentError(f"{file.source} disappeared while it was being read.") from None
    # Readers bound what they read; these bound what the sections would be built from.
    check_chars(file.source, sum(len(b.text) for b in blocks), limits)
    check_sections(file.source, sum(b.is_heading for b in blocks), limits)
    sections = sections_from_blocks(blocks, file.source)
    if not any(s.text for s in sections):
        hint = " (a scanned PDF needs text recognition first)" if file.path.suffix.lower() == ".pdf" else ""
        raise DocumentError(f"{file.source} has no text that could be read{hint}.")
    return sections


def sections_from_blocks(blocks: list[Block], source: str) -> list[Section]:
    """Build sections with heading paths. A lone leading top heading is the document's title."""
    headings = [b for b in blocks if b.is_heading]
    if not headings:
        return _unstructured(blocks, source)
    top = min(b.level for b in headings)
    title_block = headings[0] if [b.level for b in headings].count(top) == 1 else None
    if title_block is not None and title_block.level != top:
        title_block = None
    builder = _Builder(source)
    if blocks and not blocks[0].is_heading:
        builder.open((_fallback_title(source),), blocks[0].page)
    stack: list[tuple[int, str]] = []
    for block in blocks:
        if not block.is_heading:
            builder.add(block)
            continue
        if block is title_block:
            builder.open((block.text,), block.page)
            continue
        while stack and stack[-1][0] >= block.level:
            stack.pop()
        stack.append((block.level, block.text))
        builder.open(tuple(title for _, title in stack), block.page)
    return builder.finish()


def _unstructured(blocks: list[Block], source: str) -> list[Section]:
    """Page-sized sections for a PDF, paragraph groups for anything else."""
    builder = _Builder(source)
    stem = _fallback_title(source)
    part = 0
    size = _UNSTRUCTURED_CHARS
    for block in blocks:
        if block.page is not None:
            if builder.current_page != block.page:
                builder.open((stem, f"Page {block.page}"), block.page)
        elif size + len(block.text) > _UNSTRUCTURED_CHARS:
            part += 1
            builder.open((stem, f"Part {part}"), None)
            size = 0
        size += len(block.text)
        builder.add(block)
    return builder.finish()


def _fallback_title(source: str) -> str:
    stem = Path(source).stem
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or source


class _Builder:
    """Accumulates blocks under the heading most recently opened."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sections: list[Section] = []
        self.path: tuple[str, ...] | None = None
        self.texts: list[str] = []
        self.pages: list[int] = []
        self.current_page: int | None = None
        self.seen: dict[tuple[str, ...], int] = {}

    def open(self, path: tuple[str, ...], page: int | None) -> None:
        self._close()
        self.path = path
        self.pages = [page] if page is not None else []
        self.current_page = page

    def add(self, block: Block) -> None:
        if self.path is None:
            self.open((_fallback_title(self.source),), block.page)
        self.texts.append(block.text)
        if block.page is not None:
            self.pages.append(block.page)
            self.current_page = block.page
        if block.page_end is not None:
            self.pages.append(block.page_end)
            self.current_page = block.page_end

    def _close(self) -> None:
        if self.path is None:
            return
        repeat = self.seen.get(self.path, 0)
        self.seen[self.path] = repeat + 1
        self.sections.append(
            Section(
                section_id=section_id(self.source, self.path, repeat),
                title=self.path[-1],
                path=self.path,
                source=self.source,
                text="\n\n".join(self.texts),
                order=len(self.sections),
                page_start=min(self.pages) if self.pages else None,
                page_end=max(self.pages) if self.pages else None,
            )
        )
        self.path, self.texts, self.pages = None, [], []

    def finish(self) -> list[Section]:
        self._close()
        return self.sections


def section_id(source: str, path: tuple[str, ...], repeat: int = 0) -> str:
    """Readable and stable: the file stem and title slug, plus a hash of the full heading path."""
    key = "\x1f".join((source, *path, str(repeat) if repeat else ""))
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return f"{_slug(Path(source).stem)[:30]}/{_slug(path[-1])[:40]}-{digest}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
