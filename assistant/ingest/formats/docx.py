"""Word .docx through python-docx: heading styles give the structure, tables read row by row."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from assistant.errors import DocumentError
from assistant.ingest.formats.blocks import Block
from assistant.ingest.formats.headings import looks_like_title, numbered_level
from assistant.ingest.formats.plaintext import normalise_space
from assistant.ingest.formats.word_package import check_package
from assistant.ingest.limits import Limits, default_limits

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def read(path: Path, limits: Limits | None = None) -> list[Block]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_package(path, limits or default_limits())  # sizes first: python-docx unpacks everything
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{path.name} is not a readable Word document ({exc}).") from None
    except Exception as exc:  # lxml and zip errors on damaged packages
        raise DocumentError(f"{path.name} is not a readable Word document ({exc}).") from None
    found = list(_blocks(document))
    if any(block.is_heading for block, _ in found):
        return [block for block, _ in found]
    # No heading styles at all: many documents set their headings as short bold lines instead.
    return [_bold_heading(block) if bold else block for block, bold in found]


def _bold_heading(block: Block) -> Block:
    level = numbered_level(block.text) or (1 if looks_like_title(block.text) else None)
    return Block(block.text, level=level) if level else block


def _blocks(document) -> Iterator[tuple[Block, bool]]:
    """Each paragraph or table row, and whether it is a wholly bold paragraph (a heading candidate)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = normalise_space(item.text)
            if not text:
                continue
            level = _level(item)
            yield Block(text, level=level), not level and _all_bold(item)
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = normalise_space(cell.text)
                    if value and value not in cells:  # merged cells repeat their text
                        cells.append(value)
                if cells:
                    yield Block("; ".join(cells)), False


def _all_bold(paragraph) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    style_bold = bool(paragraph.style is not None and paragraph.style.font.bold)
    return bool(runs) and all(r.bold or (r.bold is None and style_bold) for r in runs)


def _level(paragraph) -> int:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(name.strip())
    return int(match.group(1)) if match else 0
