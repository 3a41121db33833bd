"""Follow-up questions, decided by what the guide supports rather than by how long they are.

"Who sits on it?" only makes sense next to the question before it; "What is a chief digital
officer?" asked after a question about the first 100 days does not, however short. So a question
asked in a conversation has several readings: the question alone, and the question joined to each
of the last three questions (and to the last two together, for a pronoun whose subject was set two
turns back and kept by the turn between). The pipeline retrieves with every reading and `choose`
keeps one:

- A question that points back ("it", "they", "that one", "what about…", "and…?") takes the context
  reading the guide supports best, unless the question alone is clearly better supported.
- A question that stands on its own is searched as it is, unless the guide cannot answer it that
  way (its support is under the refusal bar) and can with the conversation's context.

Which of the context readings wins says which earlier question the pronoun stands for. A language
model's rewrite, where one is configured, is one more context reading and is kept only on the same
terms (assistant.llm.chain).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.retrieve.questions import plain_text

# Words that stand for something said before, and openings that continue an earlier question. "that",
# "this", "one" and "there" count only where they cannot be a conjunction, a determiner, a number or
# "is there": ending the question ("share one?") or after a preposition or verb ("about that").
_POINTING_BACK = re.compile(
    r"\b(it|its|they|them|their|theirs|these|those|he|she|him|her|instead|else)\b"
    r"|\b(that|this|one|ones|there)\s*[?.!]*$"
    r"|\b(about|with|on|for|to|do|does|did|is|was)\s+(that|this)\b"
    r"|^\s*(and|but|also|so|what about|how about|then)\b",
    re.IGNORECASE,
)
# How many earlier questions a pronoun may reach back to.
TURNS_BACK = 3
# Set by hand, checked on tests/eval/conversations.jsonl: a question that points back keeps its
# context unless the question alone is better supported by more than this (evidence is on the
# cosine scale). Elliptic questions ("What about suppliers?") often match a section a little on their
# own; the margin keeps them with their conversation.
POINTING_TOLERANCE = 0.05
# Set by hand, checked on the same conversations: an older question's reading replaces a more recent
# one only when its support is higher by more than this. Joining a question with a strong topic of its
# own ("What is open data?") lifts any reading, so the older one must win clearly.
RECENCY_MARGIN = 0.1


@dataclass(frozen=True)
class Reading:
    """One way of searching for a question: its text, whether context was added, and its support."""

    query: str
    context_used: bool
    support: float = 0.0
    off_topic: bool = False  # nearer the bank of questions no guide answers than to this guide
    from_model: bool = False  # a language model's rewrite of the question


def points_back(question: str) -> bool:
    """Whether a question uses a word that stands for something said earlier."""
    return bool(_POINTING_BACK.search(question.strip()))


def readings(question: str, history: Sequence[tuple[str, str]]) -> list[Reading]:
    """The question alone, then the question with each earlier question (most recent first), then
    with the last two together. `history` is (question, answer) pairs, oldest first."""
    earlier = [plain_text(q) for q, _ in history][-TURNS_BACK:]
    found = [Reading(question, False)]
    for previous in reversed(earlier):
        found.append(Reading(f"{previous} {question}", True))
    if len(earlier) >= 2:
        found.append(Reading(f"{earlier[-2]} {earlier[-1]} {question}", True))
    unique: dict[str, Reading] = {}
    for reading in found:
        unique.setdefault(reading.query, reading)
    return list(unique.values())


def choose(question: str, scored: Sequence[Reading], refusal_bar: float) -> Reading:
    """The reading to answer from; `scored` starts with the question alone, then the context readings,
    most recent first."""
    alone, context = scored[0], [r for r in scored[1:] if r.context_used]
    if not context:
        return alone
    # A pronoun most often stands for the latest subject: an older question's reading (later in the
    # list) replaces a more recent one only when the guide supports it clearly better.
    best = context[0]
    for older in context[1:]:
        if older.support > best.support + RECENCY_MARGIN:
            best = older
    # A model's rewrite has already resolved what the question points at: it is kept whenever the guide
    # can answer it, however strongly an earlier question's own topic lifts another reading.
    rewrite = next((r for r in context if r.from_model and r.support >= refusal_bar), None)
    best = rewrite or best
    if points_back(question):
        return best if best.support >= alone.support - POINTING_TOLERANCE else alone
    # A question that stands on its own keeps its own reading, unless the guide cannot answer it alone
    # and can in context; one that reads as everyday business or general knowledge ("a recipe for
    # chocolate cake") is never lifted by the conversation around it.
    if alone.support < refusal_bar <= best.support and not alone.off_topic:
        return best
    return alone
