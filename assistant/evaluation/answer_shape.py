"""Shape faults in an answer's text, counted in code: what a reader trips over, not what is wrong.

- fragment: a prose sentence under four words, one opening in lower case, or a list item quoted as
  prose (known from the cited section's layout, assistant.answer.passages);
- dangling: an opening that leans on a sentence the answer does not quote ("That means…" first),
  or an ending that points at something not there ("…looks like this.", a colon with no list);
- repeat: a sentence saying what an earlier one said;
- about the text: a sentence about the document or its sources ("Only one report says this").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.answer.passages import about_the_text, leans_back, points_forward
from assistant.ingest.sentences import split_sentences
from assistant.retrieve.terms import content_words

_MARKER = re.compile(r"\s*\[\d+\]")
_BULLET = re.compile(r"^\s*[-•*]\s+")
_REPEAT = 0.6  # share of content words two sentences hold in common to count as saying the same


def shape_faults(text: str, list_items: Iterable[str] = (), asks_about_sources: bool = False) -> list[str]:
    """One line per fault found in an answer; `list_items` are sentences known to be list items."""
    items = {_plain(s) for s in list_items}
    faults: list[str] = []
    seen: list[frozenset[str]] = []
    lines = [line for line in text.splitlines() if line.strip()]
    for at, line in enumerate(lines):
        bullet = bool(_BULLET.match(line))
        followed_by_list = at + 1 < len(lines) and bool(_BULLET.match(lines[at + 1]))
        pieces = [_BULLET.sub("", line)] if bullet else split_sentences(line)
        for i, raw in enumerate(pieces):
            sentence = _plain(raw)
            if not any(c.isalnum() for c in sentence):
                continue
            last = i == len(pieces) - 1
            if not bullet:
                lead_in = last and followed_by_list and sentence.endswith(":")
                if (len(sentence.split()) < 4 and not lead_in) or sentence[:1].islower() or sentence in items:
                    faults.append(f"fragment: {sentence}")
                if i == 0 and at == 0 and leans_back(sentence) and not (last and followed_by_list):
                    faults.append(f"dangling opening: {sentence}")
                if points_forward(sentence) and not (last and followed_by_list):
                    faults.append(f"dangling ending: {sentence}")
            if about_the_text(sentence) and not asks_about_sources:
                faults.append(f"about the text: {sentence}")
            words = content_words(sentence)
            if any(_similar(words, other) for other in seen):
                faults.append(f"repeat: {sentence}")
            seen.append(words)
    return faults


def _plain(sentence: str) -> str:
    return _MARKER.sub("", sentence).strip()


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    union = a | b
    return bool(union) and len(a & b) / len(union) > _REPEAT
