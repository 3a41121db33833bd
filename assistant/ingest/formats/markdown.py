"""Markdown, read with markdown-it-py's tokens: headings; paragraphs, list items, table rows, quotes
and code as plain text.

Each list item and each table row is a paragraph of its own (a row's cells joined by "; "). Inline
markup is dropped: links and images keep only their words (so stored text cannot carry a live link),
inline HTML is removed.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from assistant.ingest.formats.blocks import Block
from assistant.ingest.formats.plaintext import normalise_space, read_text_file
from assistant.ingest.limits import Limits

# Word and PDF exports list with "•", which CommonMark does not know as a bullet.
_WORD_BULLET = re.compile(r"^(\s*)•\s+", re.MULTILINE)
_HTML_TAG = re.compile(r"<[^>\n]+>")
_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


def read(path: Path, limits: Limits | None = None) -> list[Block]:
    source = read_text_file(path, limits)
    return parse(source)


def parse(source: str) -> list[Block]:
    blocks: list[Block] = []
    tokens = _PARSER.parse(_WORD_BULLET.sub(r"\1- ", source))
    for i, token in enumerate(tokens):
        text = ""
        level = 0
        if token.type == "inline" and i > 0 and tokens[i - 1].type == "heading_open":
            text, level = inline_text(token), int(tokens[i - 1].tag[1:])
        elif token.type == "inline" and i > 0 and tokens[i - 1].type == "paragraph_open":
            text = inline_text(token)
        elif token.type == "tr_open":
            text = _row(tokens, i)
        elif token.type in ("fence", "code_block", "html_block"):
            text = normalise_space(_HTML_TAG.sub("", token.content))
        if text:
            blocks.append(Block(text, level=level))
    return blocks


def inline_text(token: Token) -> str:
    """The words of an inline token: markup, link targets and inline HTML left out."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(inline_text(child))  # its alt text
    return normalise_space("".join(parts))


def _row(tokens: list[Token], start: int) -> str:
    cells: list[str] = []
    for token in tokens[start + 1:]:
        if token.type == "tr_close":
            break
        if token.type == "inline":
            cells.append(inline_text(token))
    return "; ".join(c for c in cells if c)
