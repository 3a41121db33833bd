"""Guessing which lines of unstructured text (plain text, PDF) are headings.

A heading is a short line standing on its own that either carries a section number
(`2.`, `2.3`, `Play 4:`, `Chapter 3`) or looks like a title (Title Case or ALL CAPS, no closing
punctuation). Numbered headings take their level from the number's depth.

`strip_numbering` is the one place that drops a heading's number ("2.4 A digital board" -> "A digital
board"), for the chunk's heading context and for judging a section's role and topic.
"""

from __future__ import annotations

import re

# "2", "2.3", "2.3.1": the digits of a section number, at most two per level (so "2018" is a year).
_DIGITS = r"\d{1,2}(?:\.\d{1,2})*"
_NUMBERED = re.compile(
    r"^(?P<label>(?:chapter|part|section|play|step|principle|appendix)\s+[0-9ivxlc]+[:.]?"
    rf"|{_DIGITS}\.?)\s+(?P<title>\S.*)$",
    re.IGNORECASE,
)
# A heading's leading number: "2.3", "2.3.", "2)", or a letter or Roman numeral with its stop
# ("B.", "a)", "iv)"); a bare letter is left alone, since "A" in "A digital board" is a word.
_LEADING_NUMBER = re.compile(rf"^\s*(?:{_DIGITS}[.)]?|[A-Za-z][.)]|(?:[IVXLC]+|[ivxlc]+)[.)])\s+")
_SMALL_WORDS = {
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the",
    "to", "with", "vs", "v", "&", "-", "–",
}
_MAX_WORDS = 14
_MAX_CHARS = 100


def numbered_level(line: str) -> int | None:
    """The heading level implied by a section number, or None when the line has none."""
    match = _NUMBERED.match(line.strip())
    if not match or not _plausible(line):
        return None
    title = match.group("title")
    if not (title[0].isupper() or title[0].isdigit()):
        return None
    label = match.group("label").rstrip(".:")
    if label[0].isdigit():
        return label.count(".") + 1
    return 1


def strip_numbering(heading: str) -> str:
    """'2.4 A digital board' -> 'A digital board'; a heading that is only a number stays as it is."""
    return _LEADING_NUMBER.sub("", heading).strip() or heading.strip()


def looks_like_title(line: str) -> bool:
    """True for a short Title Case or ALL CAPS line without closing punctuation."""
    line = line.strip()
    if not _plausible(line) or len(line.split()) > 10:
        return False
    letters = [c for c in line if c.isalpha()]
    if len(letters) < 3:
        return False
    if all(c.isupper() for c in letters):
        return True
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", line)]
    if not words or not words[0][0].isupper():
        return False
    significant = [w for w in words if w.lower() not in _SMALL_WORDS]
    capitalised = sum(1 for w in significant if w[0].isupper())
    return bool(significant) and capitalised / len(significant) >= 0.6


def _plausible(line: str) -> bool:
    line = line.strip()
    if not line or len(line) > _MAX_CHARS or len(line.split()) > _MAX_WORDS:
        return False
    if line[-1] in ".,;!?" and not line.endswith("..."):
        return False
    return not line.startswith(("-", "*", "•", "(", "[", "http"))
