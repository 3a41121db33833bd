"""Markdown: `#` and underlined headings; paragraphs, list items and table rows as text."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.ingest.formats import Block
from assistant.ingest.formats.plaintext import normalise_space, read_text_file
from assistant.ingest.limits import Limits, check_chars, default_limits

_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def read(path: Path, limits: Limits | None = None) -> list[Block]:
    source = read_text_file(path)
    check_chars(path.name, len(source), limits or default_limits())  # the text cannot be longer
    return parse(source)


def parse(source: str) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []
    in_fence = False
    lines = source.split("\n")

    def flush() -> None:
        if paragraph:
            text = clean_inline(" ".join(paragraph))
            if text:
                blocks.append(Block(text))
            paragraph.clear()

    for i, line in enumerate(lines):
        if _FENCE.match(line):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            if line.strip():
                paragraph.append(line.strip())
            continue
        heading = _ATX.match(line)
        if heading:
            flush()
            title = clean_inline(heading.group(2))
            if title:
                blocks.append(Block(title, level=len(heading.group(1))))
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and not paragraph and _SETEXT.match(nxt) and not _LIST_ITEM.match(line):
            flush()
            title = clean_inline(line)
            if title:
                blocks.append(Block(title, level=1 if nxt.strip().startswith("=") else 2))
            continue
        if _SETEXT.match(line) and blocks and blocks[-1].is_heading and not paragraph:
            continue  # the underline of a heading just emitted
        if not line.strip() or _TABLE_RULE.match(line) or re.match(r"^\s*(\*\s*){3,}$", line):
            flush()
            continue
        if _LIST_ITEM.match(line) or line.lstrip().startswith("|"):
            flush()  # each list item or table row is its own paragraph
            paragraph.append(_table_row(_LIST_ITEM.sub("", line, count=1)))
            flush()
            continue
        if line.lstrip().startswith(">"):
            line = line.lstrip()[1:]
        paragraph.append(line.strip())
    flush()
    return blocks


def _table_row(line: str) -> str:
    if "|" not in line:
        return line
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return "; ".join(c for c in cells if c)


def clean_inline(text: str) -> str:
    """Strip Markdown markup so stored text reads as plain prose (and cannot carry live links)."""
    # Link targets may hold one level of brackets, e.g. javascript:alert(1); drop them whole.
    target = r"\((?:[^()\n]|\([^()\n]*\))*\)"
    text = re.sub(r"!\[([^\]]*)\]" + target, r"\1", text)  # images keep their alt text
    text = re.sub(r"\[([^\]]+)\]" + target, r"\1", text)  # links keep their words only
    text = re.sub(r"<[^>\n]+>", "", text)  # inline HTML
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    text = text.replace("`", "")
    return normalise_space(text)
