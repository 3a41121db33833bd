"""PDF through pypdf: text lines with their font size and height; headings from the PDF's outline
(bookmarks) when it has a usable one (see `pdf_outline`), else from type size, weight, numbering and
layout; pages kept for every block."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import DocumentError
from assistant.ingest.formats.blocks import Block
from assistant.ingest.formats.headings import looks_like_title, numbered_level
from assistant.ingest.formats.pdf_outline import Anchor, OutlineEntry, place, read_outline
from assistant.ingest.formats.plaintext import normalise_space
from assistant.ingest.limits import Limits, check_pages

# pypdf logs every odd object it repairs; a person ingesting a guide needs none of that.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
# Word and LibreOffice set bullets in the Symbol or Wingdings font, which pypdf reads as characters
# of the private use area (U+F0B7 and kin), often with no space after them.
_BULLET = re.compile(r"^\s*(?:(?:[-*•▪●◦‣■□○]|\d+[.)])\s+|[\uf0a7\uf0b7\uf0d8\uf076\uf0fc]\s*)")
_NUMBERED_ITEM = re.compile(r"^\s*\d+[.)]\s+")
# Baseline to baseline, in multiples of the type size, within which a heading's next line is its
# own wrapped continuation: line spacing is usually 1.1-1.5, and a new heading has space before it.
_WRAP_SPACING = 1.6


@dataclass
class _Line:
    text: str
    size: float
    page: int
    bold: bool = False  # every piece of the line is set in a bold font
    y: float | None = None  # height of the line's baseline on its page, in PDF units from the bottom
    outlined: bool = False  # a heading taken from the PDF's outline, complete as it is


def read(path: Path) -> list[Block]:
    lines, outline = _lines(path)
    anchors = place(outline, lines) if outline else None
    if anchors is None:
        return blocks_from_lines(lines)
    body = _body_size(lines)
    return _paragraphs(*_joined_wraps(*_layout_below(*_outline_headings(lines, anchors), body)))


def _lines(path: Path) -> tuple[list[_Line], list[OutlineEntry]]:
    import pypdf
    from pypdf.errors import PdfReadError

    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path.name} is encrypted; save an unprotected copy and try again.")
        pages = [_page_lines(page, number) for number, page in enumerate(reader.pages, start=1)]
        lines = _without_running_lines(pages)
        outline = read_outline(reader)
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise DocumentError(f"{path.name} is not a readable PDF ({_reason(exc)}).") from None
    except Exception as exc:  # pypdf raises many kinds on damaged files; none should escape raw
        if exc.__class__.__module__.startswith(("pypdf", "cryptography")):
            raise DocumentError(f"{path.name} is not a readable PDF ({_reason(exc)}).") from None
        raise
    return lines, outline


def _without_running_lines(pages: list[list[_Line]]) -> list[_Line]:
    """Drop page numbers and the running headers and footers repeated at the edge of most pages."""
    edge = 2  # how many lines at the top and at the bottom of a page count as its margins

    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    def margins(page: list[_Line]) -> list[_Line]:
        return page[:edge] + page[-edge:] if len(page) > edge else page

    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({key(line) for line in margins(page)})
    running = {k for k, n in seen.items() if len(pages) >= 3 and n >= max(3, len(pages) // 2)}
    kept: list[_Line] = []
    for page in pages:
        border = {id(line) for line in margins(page)}
        kept.extend(
            line for line in page
            if id(line) not in border or not (key(line) in running or _PAGE_NUMBER.match(line.text))
        )
    return kept


def _reason(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    return (text[:120] or exc.__class__.__name__).replace("\n", " ")


def _page_lines(page, number: int) -> list[_Line]:
    lines: list[_Line] = []
    current: list[str] = []
    sizes: list[float] = []
    weights: list[bool] = []
    heights: list[float] = []

    def end_line() -> None:
        text = normalise_space("".join(current))
        if text:
            bold = bool(weights) and all(weights)
            size = max(sizes) if sizes else 0.0
            lines.append(_Line(text, size, number, bold, heights[0] if heights else None))
        current.clear()
        sizes.clear()
        weights.clear()
        heights.clear()

    def visit(text: str, cm, tm, font_dict, font_size) -> None:
        size = float(font_size or 0) * _scale(tm) * _scale(cm)
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                end_line()
            if piece.strip():
                current.append(piece)
                sizes.append(round(size, 1))
                weights.append(_is_bold(font_dict))
                heights.append(_height(tm, cm))
            elif piece:
                current.append(piece)

    page.extract_text(visitor_text=visit)
    end_line()
    return lines


def _is_bold(font_dict) -> bool:
    try:
        name = str(font_dict.get("/BaseFont", "")) if font_dict else ""
    except Exception:  # a damaged font dictionary only costs us the hint
        return False
    return any(mark in name.lower() for mark in ("bold", "black", "heavy", "semibold"))


def _height(tm, cm) -> float:
    """The y of the text origin on the page: the text matrix's origin through the current matrix."""
    try:
        return float(tm[4]) * float(cm[1]) + float(tm[5]) * float(cm[3]) + float(cm[5])
    except (TypeError, IndexError, ValueError):
        return 0.0


def _scale(matrix) -> float:
    if not matrix or len(matrix) < 4:
        return 1.0
    scale = math.hypot(matrix[2], matrix[3])
    return scale if scale > 0 else 1.0


def blocks_from_lines(lines: list[_Line]) -> list[Block]:
    """Group lines into headings and paragraphs. Larger-than-body type or a number makes a heading."""
    body = _body_size(lines)
    return _paragraphs(*_joined_wraps(lines, _heading_levels(lines, body)))


def _outline_headings(lines: list[_Line], anchors: list[Anchor]) -> tuple[list[_Line], list[int | None]]:
    """The lines with the outline's headings in place: a heading's own lines become one line with
    the outline's title; a title not found in the text is inserted where its entry points."""
    at: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        at.setdefault(anchor.index, []).append(anchor)
    out: list[_Line] = []
    levels: list[int | None] = []
    covered: set[int] = set()
    for i in range(len(lines) + 1):
        for anchor in at.get(i, []):
            if anchor.span:
                first = lines[i]
                out.append(_Line(anchor.title, first.size, first.page, first.bold, first.y, outlined=True))
                covered.update(range(i, i + anchor.span))
            else:
                page = anchor.page or (lines[min(i, len(lines) - 1)].page if lines else 1)
                out.append(_Line(anchor.title, 0.0, page, outlined=True))
            levels.append(anchor.level)
        if i < len(lines) and i not in covered:
            out.append(lines[i])
            levels.append(None)
    return out, levels


def _layout_below(
    lines: list[_Line], levels: list[int | None], body: float
) -> tuple[list[_Line], list[int | None]]:
    """Headings the outline leaves out, beneath its deepest level, found by type size and weight.

    Many outlines list only chapters. When the outline's smallest headings are still set clearly
    larger than body text, the layout's headings in smaller type are subsections: each goes under
    the outline heading before it, a level per step down in type. An outline whose deepest headings
    are body-sized already reaches the bottom, and nothing is added.
    """
    sizes = [ln.size for ln, lv in zip(lines, levels) if lv and ln.size]
    if not sizes or not body or min(sizes) < body + 1.0:
        return lines, levels
    floor = min(sizes)
    guesses = _heading_levels(lines, body)
    below = {i for i, ln in enumerate(lines) if not levels[i] and guesses[i] and ln.size < floor}
    steps = {guess: step for step, guess in enumerate(sorted({guesses[i] for i in below}), start=1)}
    out = list(levels)
    parent = 0
    for i, level in enumerate(levels):
        if level:
            parent = level
        elif i in below:
            out[i] = parent + steps[guesses[i]]
    return lines, out


def _joined_wraps(lines: list[_Line], levels: list[int | None]) -> tuple[list[_Line], list[int | None]]:
    """A heading too long for one line goes on in the same type right below it: join the two.

    The next line continues the heading when it has the same level, size and weight, sits on the
    same page within one line's spacing (a separate heading would have space before it), does not
    start with a section number of its own, and the first line does not end a question or label.
    """
    out: list[_Line] = []
    kept: list[int | None] = []
    for line, level in zip(lines, levels):
        if level and out and kept[-1] == level and _continues(out[-1], line):
            last = out[-1]
            text = normalise_space(f"{last.text} {line.text}")
            out[-1] = _Line(text, last.size, last.page, last.bold, line.y)
            continue
        out.append(line)
        kept.append(level)
    return out, kept


def _continues(first: _Line, line: _Line) -> bool:
    if first.page != line.page or first.size != line.size or first.bold != line.bold or not first.size:
        return False
    if first.outlined or line.outlined:
        return False
    if first.y is None or line.y is None or not 0 < first.y - line.y <= _WRAP_SPACING * first.size:
        return False
    return not first.text.endswith(("?", "!", ":", ".")) and numbered_level(line.text) is None


def _paragraphs(lines: list[_Line], levels: list[int | None]) -> list[Block]:
    """Headings as they are; the other lines grouped into paragraphs (bullets start a new one)."""
    blocks: list[Block] = []
    paragraph: list[_Line] = []
    widest = max((len(ln.text) for ln in lines), default=80)

    def flush() -> None:
        if paragraph:
            text = normalise_space(" ".join(ln.text for ln in paragraph))
            first, last = paragraph[0].page, paragraph[-1].page
            blocks.append(Block(text, page=first, page_end=last if last != first else None))
            paragraph.clear()

    for line, level in zip(lines, levels):
        if level:
            flush()
            blocks.append(Block(line.text, level=level, page=line.page))
            continue
        if _BULLET.match(line.text):
            flush()
            paragraph.append(_Line(_BULLET.sub("", line.text), line.size, line.page))
            continue
        if paragraph and line.page != paragraph[-1].page and paragraph[-1].text.endswith("."):
            flush()
        paragraph.append(line)
        if line.text.endswith((".", "!", "?", ":")) and len(line.text) < 0.7 * widest:
            flush()  # a short line closing a sentence ends its paragraph
    flush()
    return blocks


def _heading_levels(lines: list[_Line], body: float) -> list[int | None]:
    """Each line's heading level, or None for body text.

    A section number decides the level when there is one. Unnumbered large headings take the level
    that numbered headings of the same type size have, so "1. Leadership" and "Working With
    Suppliers" set in one size are siblings. A document title (the first heading, alone in the
    largest size) sits above everything, so later headings move down one level beneath it.
    """
    large = [_larger(ln, body) and _short(ln.text) and ln.text[-1] not in ".,;" for ln in lines]
    # In body-size type a number alone could start a list item; when the document uses bold at
    # all, a body-size numbered heading must be bold too.
    weighted = any(ln.bold for ln in lines)
    numbered = [
        numbered_level(ln.text) if _short(ln.text) and (big or ln.bold or not weighted) else None
        for ln, big in zip(lines, large)
    ]
    by_size = _levels_by_size(
        [ln.size for ln, big in zip(lines, large) if big],
        [(ln.size, n) for ln, big, n in zip(lines, large, numbered) if big and n],
    )
    levels = [n or (by_size[ln.size] if big else None) for ln, big, n in zip(lines, large, numbered)]
    if not body:  # no font sizes at all: fall back to the look of the line
        levels = [lv or (1 if looks_like_title(ln.text) else None) for ln, lv in zip(lines, levels)]
    else:  # the deepest headings are often bold lines in body type, standing alone above their text
        deepest = max((lv for lv in levels if lv), default=0)
        for i in [i for i in range(len(lines)) if not levels[i] and _bold_lead(lines, levels, i, body)]:
            levels[i] = deepest + 1
    headed = [i for i, lv in enumerate(levels) if lv]
    if len(headed) > 1 and large[headed[0]]:
        first = lines[headed[0]].size
        if all(lines[i].size < first for i in headed[1:]):
            levels = [lv + 1 if lv and i != headed[0] else lv for i, lv in enumerate(levels)]
            levels[headed[0]] = 1
    return levels


def _larger(line: _Line, body: float) -> bool:
    """Set larger than body text: by a point, or by half a point in bold (a deep heading's step)."""
    return line.size >= body + 1.0 or (line.bold and line.size >= body + 0.5)


def _bold_lead(lines: list[_Line], levels: list[int | None], i: int, body: float) -> bool:
    """A short bold line in body type, not ending a sentence, between text that is not bold: the
    line before is a heading or not bold (so it does not continue a bold paragraph) and body text
    in regular weight follows it."""
    line = lines[i]
    # A wholly bold numbered line above regular text is a numbered heading, not a list item, and
    # may be a sentence ("3. Open source is less secure.").
    numbered = _NUMBERED_ITEM.match(line.text) is not None
    if not (line.bold and abs(line.size - body) < 0.5 and _short(line.text)):
        return False
    if line.text[-1] in ",;" or (line.text[-1] == "." and not numbered):
        return False
    if (_BULLET.match(line.text) and not numbered) or i + 1 >= len(lines):
        return False
    after = lines[i + 1]
    if after.bold or abs(after.size - body) >= 0.5 or levels[i + 1] or after.text[0].islower():
        return False  # (a lower-case start carries on a bold sentence that wrapped)
    before = lines[i - 1] if i else None
    return before is None or bool(levels[i - 1]) or not before.bold


def _levels_by_size(sizes: list[float], numbered: list[tuple[float, int]]) -> dict[float, int]:
    """Heading level per type size: as numbered headings of that size say, else by rank."""
    votes: dict[float, Counter[int]] = {}
    for size, level in numbered:
        votes.setdefault(size, Counter())[level] += 1
    levels: dict[float, int] = {}
    above = 0  # level of the next larger size
    for rank, size in enumerate(sorted(set(sizes), reverse=True), start=1):
        if size in votes:
            levels[size] = votes[size].most_common(1)[0][0]
        else:
            levels[size] = above + 1 if votes else rank
        above = levels[size]
    return levels


def _short(text: str) -> bool:
    return len(text.split()) <= 14 and len(text) <= 100


def _body_size(lines: list[_Line]) -> float:
    weights: Counter[float] = Counter()
    for line in lines:
        weights[line.size] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def read_within(path: Path, limits: Limits) -> list[Block]:
    """`read`, refusing a PDF over the page limit before any page is laid out. Opening the file
    only parses its cross-reference table, and the count is the page tree's own, so a refusal does
    not walk the tree."""
    import pypdf
    from pypdf.errors import PdfReadError

    try:
        count = pypdf.PdfReader(path).trailer["/Root"]["/Pages"].get("/Count")
        pages = int(count) if count is not None else 0  # without a count, `read` flattens the tree
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError):
        pages = 0  # a damaged file: `read` says what is wrong with it
    except Exception as exc:
        if not exc.__class__.__module__.startswith(("pypdf", "cryptography")):
            raise
        pages = 0
    check_pages(path.name, pages, limits)
    return read(path)
