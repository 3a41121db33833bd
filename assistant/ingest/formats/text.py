"""Plain text: paragraphs split on blank lines, headings guessed from lone title-like lines."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.ingest.formats.blocks import Block
from assistant.ingest.formats.headings import looks_like_title, numbered_level
from assistant.ingest.formats.plaintext import normalise_space, read_text_file
from assistant.ingest.limits import Limits

_UNDERLINE = re.compile(r"^\s*(=+|-+)\s*$")


def read(path: Path, limits: Limits | None = None) -> list[Block]:
    source = read_text_file(path, limits)
    return parse(source)


def parse(source: str) -> list[Block]:
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", source):
        lines = [ln for ln in chunk.split("\n") if ln.strip()]
        if not lines:
            continue
        # "Title" underlined with === or --- is a heading whatever its wording.
        if len(lines) >= 2 and _UNDERLINE.match(lines[1]):
            level = 1 if lines[1].strip().startswith("=") else 2
            blocks.append(Block(normalise_space(lines[0]), level=level))
            lines = lines[2:]
        elif len(lines) >= 2 and _heading_level(lines[0]) and _is_body(lines[1:]):
            # A heading directly above its paragraph, with no blank line between.
            blocks.append(Block(normalise_space(lines[0]), level=_heading_level(lines[0]) or 1))
            lines = lines[1:]
        if not lines:
            continue
        if len(lines) == 1 and _heading_level(lines[0]):
            blocks.append(Block(normalise_space(lines[0]), level=_heading_level(lines[0]) or 1))
            continue
        for paragraph in _split_items(lines):
            blocks.append(Block(paragraph))
    return blocks


def _heading_level(line: str) -> int | None:
    level = numbered_level(line)
    if level is not None:
        return level
    return 1 if looks_like_title(line) else None


def _is_body(lines: list[str]) -> bool:
    return len(" ".join(lines).split()) >= 12


def _split_items(lines: list[str]) -> list[str]:
    """Bulleted lines stay separate items; wrapped prose lines join into one paragraph."""
    items: list[str] = []
    for line in lines:
        if re.match(r"^\s*(?:[-*•]|\d+[.)])\s+", line) or not items:
            items.append(re.sub(r"^\s*(?:[-*•])\s+", "", line))
        else:
            items[-1] += " " + line
    return [normalise_space(i) for i in items if i.strip()]
