"""Word .docx through python-docx: heading styles give the structure, tables read row by row."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from assistant.errors import DocumentError
from assistant.formats import Block
from assistant.formats.plaintext import normalise_space

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def read(path: Path) -> list[Block]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{path.name} is not a readable Word document ({exc}).") from None
    except Exception as exc:  # lxml and zip errors on damaged packages
        raise DocumentError(f"{path.name} is not a readable Word document ({exc}).") from None
    return list(_blocks(document))


def _blocks(document):
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = normalise_space(item.text)
            if not text:
                continue
            yield Block(text, level=_level(item))
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = normalise_space(cell.text)
                    if value and value not in cells:  # merged cells repeat their text
                        cells.append(value)
                if cells:
                    yield Block("; ".join(cells))


def _level(paragraph) -> int:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(name.strip())
    return int(match.group(1)) if match else 0
