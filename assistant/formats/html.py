"""HTML through BeautifulSoup: h1-h6 are headings; scripts, styles and navigation are dropped."""

from __future__ import annotations

from pathlib import Path

from assistant.formats import Block
from assistant.formats.plaintext import normalise_space, read_text_file

_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {"p", "li", "td", "th", "pre", "blockquote", "dd", "dt", "figcaption", "caption"}
_DROP = ["script", "style", "noscript", "template", "nav", "footer", "header", "form", "iframe"]


def read(path: Path) -> list[Block]:
    return parse(read_text_file(path))


def parse(source: str) -> list[Block]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(source, "html.parser")
    for tag in soup(_DROP):
        tag.decompose()
    root = soup.body or soup
    blocks: list[Block] = []
    for element in root.find_all(list(_HEADINGS) + list(_BLOCKS)):
        # A paragraph inside a list item (or cell) is read once, with its container.
        if element.name in _BLOCKS and element.find_parent(list(_BLOCKS)):
            continue
        text = normalise_space(element.get_text(" "))
        if not text:
            continue
        blocks.append(Block(text, level=_HEADINGS.get(element.name, 0)))
    if not blocks:
        text = normalise_space(root.get_text(" "))
        if text:
            blocks.append(Block(text))
    return blocks
