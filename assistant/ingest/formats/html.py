"""HTML through BeautifulSoup: h1-h6 are headings; scripts, styles and navigation are dropped."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from assistant.ingest.formats.blocks import Block
from assistant.ingest.formats.plaintext import normalise_space, read_text_file
from assistant.ingest.limits import Limits, check_depth, default_limits

_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {"p", "li", "td", "th", "pre", "blockquote", "dd", "dt", "figcaption", "caption"}
# Elements whose edges end a run of loose text (a paragraph made of bare divs and spans).
_BREAKS = {"div", "section", "article", "main", "aside", "br", "hr", "ul", "ol", "dl", "table", "tr"}
_DROP = ["script", "style", "noscript", "template", "nav", "footer", "header", "form", "iframe"]
# Elements that never hold others, and those a page often leaves open (the next one closes them).
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_SELF_ENDING = {"p", "li", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody", "tfoot"}


def read(path: Path, limits: Limits | None = None) -> list[Block]:
    limits = limits or default_limits()
    source = read_text_file(path, limits)
    # The walk below slows with the square of the depth; a tokenizer pass is cheap.
    check_depth(path.name, nesting_depth(source, limits.html_depth), limits)
    return parse(source)


def nesting_depth(source: str, stop_above: int) -> int:
    """How deep the page's elements nest, from a pass of the tokenizer that builds no tree; the
    pass stops as soon as the depth passes `stop_above`, so a hostile page costs little."""
    scanner = _DepthScanner(stop_above)
    try:
        scanner.feed(source)
        scanner.close()
    except _TooDeep:
        pass
    return scanner.deepest


class _TooDeep(Exception):
    pass


class _DepthScanner(HTMLParser):
    def __init__(self, stop_above: int) -> None:
        super().__init__(convert_charrefs=False)
        self.stop_above = stop_above
        self.open: list[str] = []
        self.deepest = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _VOID:
            return
        if tag in _SELF_ENDING and tag in self.open[-3:]:
            self._close(tag)
        self.open.append(tag)
        self.deepest = max(self.deepest, len(self.open))
        if self.deepest > self.stop_above:
            raise _TooDeep

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            self._close(tag)

    def _close(self, tag: str) -> None:
        """End the innermost open `tag` and everything opened inside it."""
        while self.open and self.open.pop() != tag:
            pass


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
