"""A PDF's outline (bookmarks) as headings: each entry's title and depth, placed on its body line.

Word, LibreOffice, InDesign and LaTeX write the outline from the document's own heading styles, so
when a PDF has one it states the structure exactly, where type size and layout can only guess it.
Each entry points at a page and usually at a height on that page; the heading is the line (or the
two or three lines of a wrapped title) on that page whose text is the entry's title, the nearest
to that height. An entry whose title is not found there still opens a section at the point it
names. An outline is used only when it is plausible: at least two entries, and most of those that
point somewhere found as text on their page; anything else (a scanner's "Page 1, Page 2" bookmarks,
a single bookmark, a damaged outline) leaves the headings to type and layout.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.ingest.formats.headings import numbered_level
from assistant.ingest.formats.plaintext import normalise_space

_MAX_WRAP = 3  # a heading set on more lines than this is not one we try to match
_MIN_FOUND = 0.5  # share of placed entries that must be found as text for the outline to be trusted
_NUMBER = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?|[ivxlc]+\.)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class OutlineEntry:
    title: str
    level: int  # 1 for a top-level bookmark, 2 for its children, ...
    page: int | None  # 1-based; None when the entry points nowhere in this file
    top: float | None = None  # the height on the page it points at, in PDF units (from the bottom)


@dataclass(frozen=True)
class Anchor:
    """Where one outline heading goes among the body lines.

    `span` lines from `index` on are the heading's own text (a wrapped title spans two or more);
    `span` 0 means the title was not found and the heading is inserted before line `index`.
    """

    index: int
    span: int
    level: int
    title: str
    page: int | None


class PositionedLine(Protocol):
    text: str
    page: int
    y: float | None


def read_outline(reader) -> list[OutlineEntry]:
    """The outline of an open `pypdf.PdfReader`, in reading order; [] when it has none or is damaged."""
    try:
        entries: list[OutlineEntry] = []
        _walk(reader, reader.outline, 1, entries)
    except Exception:  # pypdf raises many kinds on a broken outline; it only costs us the hint
        return []
    return entries


def _walk(reader, items, level: int, out: list[OutlineEntry]) -> None:
    for item in items:
        if isinstance(item, list):  # the children of the entry just before it
            _walk(reader, item, level + 1, out)
            continue
        title = normalise_space(str(getattr(item, "title", "") or ""))
        if not title:
            continue
        out.append(OutlineEntry(title, level, _page(reader, item), _top(item)))


def _page(reader, item) -> int | None:
    try:
        number = reader.get_destination_page_number(item)
    except Exception:  # an entry with no destination, or one into a missing page
        return None
    return number + 1 if isinstance(number, int) and number >= 0 else None


def _top(item) -> float | None:
    try:
        top = item.top
        return float(top) if top is not None else None
    except (AttributeError, TypeError, ValueError, KeyError):
        return None


def place(entries: Sequence[OutlineEntry], lines: Sequence[PositionedLine]) -> list[Anchor] | None:
    """Anchor each entry to the body lines, in reading order; None when the outline is not usable."""
    entries = _distinct(entries)
    pointing = [e for e in entries if e.page is not None]
    if len(entries) < 2 or not pointing:
        return None
    pages: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        pages.setdefault(line.page, []).append(i)
    claimed: set[int] = set()
    placed: list[tuple[int, int, Anchor]] = []  # (line index, order in the outline, anchor)
    found = 0
    after = 0  # the line the previous entry was placed at: later entries prefer what follows it
    pending: list[tuple[int, OutlineEntry]] = []  # entries with no destination wait for the next one
    for order, entry in enumerate(entries):
        if entry.page is None:
            pending.append((order, entry))
            continue
        match = _find(entry, lines, pages.get(entry.page, []), claimed, after)
        if match is None:  # some writers point at the foot of the page before a heading that opens a page
            opening = pages.get(entry.page + 1, [])[:_MAX_WRAP]
            match = _find(OutlineEntry(entry.title, entry.level, None), lines, opening, claimed, after)
        if match is not None:
            index, span = match
            found += 1
            claimed.update(range(index, index + span))
        else:
            index, span = _insertion_point(entry, lines, pages, after), 0
        for waiting_order, waiting in pending:
            placed.append((index, waiting_order, Anchor(index, 0, waiting.level, waiting.title, entry.page)))
        pending.clear()
        placed.append((index, order, Anchor(index, span, entry.level, entry.title, entry.page)))
        after = index
    if found < _MIN_FOUND * len(pointing):
        return None
    placed.sort(key=lambda item: (item[0], item[1]))
    return [anchor for _, _, anchor in placed]


def _distinct(entries: Sequence[OutlineEntry]) -> list[OutlineEntry]:
    """Drop an entry repeated with the same title at the same place (some tools write both)."""
    seen: set[tuple[str, int | None, float | None]] = set()
    kept: list[OutlineEntry] = []
    for entry in entries:
        key = (comparable(entry.title), entry.page, entry.top)
        if entry.page is not None and key in seen:
            continue
        seen.add(key)
        kept.append(entry)
    return kept


def comparable(text: str) -> str:
    """Text reduced to its letters and digits: outline titles and body lines differ in quotes,
    dashes, spacing and the hyphen of a wrapped word."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if c.isalnum())


def _same_title(title: str, text: str) -> bool:
    a, b = comparable(title), comparable(text)
    if not a or not b:
        return False
    if a == b:
        return True
    # One side may carry the section number the other leaves out ("2.1 Budgets" / "Budgets").
    return comparable(_NUMBER.sub("", title)) == comparable(_NUMBER.sub("", text)) and bool(
        numbered_level(title) or numbered_level(text) or _NUMBER.match(title) or _NUMBER.match(text)
    )


def _find(
    entry: OutlineEntry, lines: Sequence[PositionedLine], on_page: list[int], claimed: set[int], after: int
) -> tuple[int, int] | None:
    """The first line and line count of the entry's title on its page, nearest its height."""
    want = comparable(entry.title)
    candidates: list[tuple[int, int]] = []
    for position, index in enumerate(on_page):
        if index in claimed:
            continue
        text = ""
        for span in range(1, _MAX_WRAP + 1):
            if position + span > len(on_page) or on_page[position + span - 1] in claimed:
                break
            text += " " + lines[on_page[position + span - 1]].text
            if _same_title(entry.title, text):
                candidates.append((index, span))
                break
            if len(comparable(text)) >= len(want) + 4:
                break  # already longer than the title: more lines cannot make it equal
    if not candidates:
        return None

    def distance(candidate: tuple[int, int]) -> tuple[bool, float]:
        index = candidate[0]
        y = lines[index].y
        far = abs(entry.top - y) if entry.top is not None and y is not None else float(index)
        return (index < after, far)  # what follows the previous entry first, then the nearest

    return min(candidates, key=distance)


def _insertion_point(
    entry: OutlineEntry, lines: Sequence[PositionedLine], pages: dict[int, list[int]], after: int
) -> int:
    """Where a heading whose title is not in the text goes: at the height it points at on its page."""
    on_page = pages.get(entry.page or 0)
    if not on_page:
        later = [i for page, idx in pages.items() if page > (entry.page or 0) for i in idx]
        return min(later, default=len(lines))
    if entry.top is not None:
        for index in on_page:
            y = lines[index].y
            if y is not None and y < entry.top - 1:
                return index
        return on_page[-1] + 1
    return max(on_page[0], min(after + 1, on_page[-1] + 1)) if after >= on_page[0] else on_page[0]
