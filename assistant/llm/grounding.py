"""Checking a model's reply in code: which excerpts it cites, and whether it answered at all.

The prompt asks for `[n]` markers and a sentinel, but a model may ignore it (or a document may talk
it out of it), so nothing here trusts the reply: a marker pointing at no excerpt is removed and
reported, the excerpts actually cited are renumbered 1..m in order of first appearance, and the
caller refuses when the sentinel appears or no valid marker is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.ingest.sentences import split_sentences
from assistant.llm.prompting import SENTINEL

# `[2]`, `[2, 3]`, `[2][3]`, `[1-3]`, `[excerpt 2]`: the shapes small models write.
_MARKER = re.compile(
    r"\s*\[\s*(?:(?:excerpts?|sources?)\s*)?(\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*)\s*\]", re.IGNORECASE
)
_LONGEST_RANGE = 20
_SENTINEL = re.compile(SENTINEL.replace("_", r"[_\s]"), re.IGNORECASE)
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([.,;:!?])")
_MARKDOWN_EMPHASIS = re.compile(r"\*\*|__")
# The end of a sentence, with any closing quotes and the `[n]` markers a model puts after the stop.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*(?:\s*\[[^\]\n]{1,20}\])*")


@dataclass
class Checked:
    """A reply after checking: its text with renumbered markers, and what it cited."""

    text: str
    cited: list[int] = field(default_factory=list)  # excerpt numbers; position i is marker i + 1
    invalid: list[int] = field(default_factory=list)  # marker numbers that matched no excerpt
    not_in_guide: bool = False  # the model gave the sentinel

    @property
    def grounded(self) -> bool:
        return bool(self.cited) and not self.not_in_guide and bool(self.text)


def check_reply(reply: str, excerpt_count: int) -> Checked:
    """Validate and renumber the markers in `reply` against excerpts numbered 1..excerpt_count."""
    text = _MARKDOWN_EMPHASIS.sub("", reply or "").strip()
    if _SENTINEL.search(text):
        return Checked("", not_in_guide=True)
    renumber: dict[int, int] = {}
    invalid: set[int] = set()

    def replace(match: re.Match) -> str:
        numbers = _numbers(match.group(1))
        valid = [n for n in numbers if 1 <= n <= excerpt_count]
        invalid.update(n for n in numbers if not 1 <= n <= excerpt_count)
        for n in valid:
            renumber.setdefault(n, len(renumber) + 1)
        new = sorted({renumber[n] for n in valid})
        return " " + "".join(f"[{n}]" for n in new) if new else ""

    text = _MARKER.sub(replace, text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return Checked(text, cited=list(renumber), invalid=sorted(invalid))


def clip_words(reply: str, max_words: int) -> str:
    """Whole sentences from the start of a rambling reply, up to `max_words` words (at least one)."""
    if len(reply.split()) <= max_words:
        return reply
    kept: list[str] = []
    words = 0
    for sentence in split_sentences(reply):
        words += len(sentence.split())
        if kept and words > max_words:
            break
        kept.append(sentence)
    return " ".join(kept)


def drop_unfinished(reply: str) -> str:
    """The reply without the sentence it was stopped in the middle of ('' if it never ended one)."""
    ends = list(_SENTENCE_END.finditer(reply))
    if not ends:
        return ""
    return reply[: ends[-1].end()]


def _numbers(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", group):
        if not part:
            continue
        ends = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x]
        if len(ends) == 2 and 0 <= ends[1] - ends[0] <= _LONGEST_RANGE:
            numbers.extend(range(ends[0], ends[1] + 1))
        else:
            numbers.extend(ends)
    return numbers
