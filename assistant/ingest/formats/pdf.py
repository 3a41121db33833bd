"""PDF through pypdf: text lines with their font size, headings from size and numbering, pages kept."""

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
from assistant.ingest.formats.plaintext import normalise_space
from assistant.ingest.limits import Limits, check_pages

# pypdf logs every odd object it repairs; a person ingesting a guide needs none of that.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•▪●◦]|\d+[.)])\s+")


@dataclass
class _Line:
    text: str
    size: float
    page: int
    bold: bool = False  # every piece of the line is set in a bold font


def read(path: Path) -> list[Block]:
    return blocks_from_lines(_lines(path))


def _lines(path: Path) -> list[_Line]:
    import pypdf
    from pypdf.errors import PdfReadError

    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path.name} is encrypted; save an unprotected copy and try again.")
        pages = [_page_lines(page, number) for number, page in enumerate(reader.pages, start=1)]
        lines = _without_running_lines(pages)
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise DocumentError(f"{path.name} is not a readable PDF ({_reason(exc)}).") from None
    except Exception as exc:  # pypdf raises many kinds on damaged files; none should escape raw
        if exc.__class__.__module__.startswith(("pypdf", "cryptography")):
            raise DocumentError(f"{path.name} is not a readable PDF ({_reason(exc)}).") from None
        raise
    return lines


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

    def end_line() -> None:
        text = normalise_space("".join(current))
        if text:
            lines.append(_Line(text, max(sizes) if sizes else 0.0, number, bool(weights) and all(weights)))
        current.clear()
        sizes.clear()
        weights.clear()

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


def _scale(matrix) -> float:
    if not matrix or len(matrix) < 4:
        return 1.0
    scale = math.hypot(matrix[2], matrix[3])
    return scale if scale > 0 else 1.0


def blocks_from_lines(lines: list[_Line]) -> list[Block]:
    """Group lines into headings and paragraphs. Larger-than-body type or a number makes a heading."""
    body = _body_size(lines)
    levels = _heading_levels(lines, body)
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
    large = [ln.size >= body + 1.0 and _short(ln.text) and ln.text[-1] not in ".,;" for ln in lines]
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
    headed = [i for i, lv in enumerate(levels) if lv]
    if len(headed) > 1 and large[headed[0]]:
        first = lines[headed[0]].size
        if all(lines[i].size < first for i in headed[1:]):
            levels = [lv + 1 if lv and i != headed[0] else lv for i, lv in enumerate(levels)]
            levels[headed[0]] = 1
    return levels


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
