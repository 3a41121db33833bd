"""HTML through BeautifulSoup: h1-h6 are headings; scripts, styles and navigation are dropped."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.formats.blocks import Block
from assistant.ingest.formats.plaintext import normalise_space, read_text_file

_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {"p", "li", "td", "th", "pre", "blockquote", "dd", "dt", "figcaption", "caption"}
# Elements whose edges end a run of loose text (a paragraph made of bare divs and spans).
_BREAKS = {"div", "section", "article", "main", "aside", "br", "hr", "ul", "ol", "dl", "table", "tr"}
_DROP = ["script", "style", "noscript", "template", "nav", "footer", "header", "form", "iframe"]


def read(path: Path) -> list[Block]:
    return parse(read_text_file(path))


def parse(source: str) -> list[Block]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(source, "html.parser")
    for tag in soup(_DROP):
        tag.decompose()
    return _walk(soup.body or soup)


def _walk(root) -> list[Block]:
    """Headings and text blocks in document order.

    Text that sits in no paragraph-like element (pages built from bare `div`s and `span`s) is
    gathered too, up to the next block boundary, so no words are silently lost.
    """
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    containers = [*_HEADINGS, *_BLOCKS]
    blocks: list[Block] = []
    loose: list[str] = []

    def flush() -> None:
        text = normalise_space(" ".join(loose))
        loose.clear()
        if text:
            blocks.append(Block(text))

    for node in root.descendants:
        if isinstance(node, Tag):
            if node.name in containers and not node.find_parent(containers):
                flush()
                text = normalise_space(node.get_text(" "))
                if text:
                    blocks.append(Block(text, level=_HEADINGS.get(node.name, 0)))
            elif node.name in _BREAKS:
                flush()
        elif (isinstance(node, NavigableString) and not isinstance(node, PreformattedString)
              and not node.find_parent(containers)):
            loose.append(str(node))
    flush()
    return blocks
