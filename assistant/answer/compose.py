"""The extractive answerer: a short paragraph built from the guide's own sentences, each cited.

No language model is involved, so nothing can be invented: every sentence is quoted from a section
and followed by that section's citation number. Sentences from one section share a number.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np

from assistant.ingest.documents import Section
from assistant.retrieve.index import GuideIndex, Hit, section_json
from assistant.retrieve.section_roles import Role, wanted_roles

_WORD = re.compile(r"[a-z0-9']+")
_MAX_SECTIONS = 3
_MIN_WORDS = 60
# Openings that point back at the sentence before: a pronoun or demonstrative standing for it
# ("That means…"), or a connective continuing it ("So…", "However, …"). A connective counts only with
# its comma: "However good the site is, …" stands on its own.
_LEANS_BACK = re.compile(
    r"(?:that|this|these|those|it|its|they|their|them|such|both|he|she|his|her|so|but|yet|"
    r"also|then|thus|therefore|instead|otherwise)\b"
    r"|(?:however|first|second|third|finally|next|similarly|likewise|in addition|as a result|"
    r"for example|for instance|in short|in turn)\s*,",
    re.IGNORECASE,
)
_MAX_LEAN = 2
_STOP = frozenset(
    (
        "a an and are as at be by can do does for from has have how i in is it its me my of on or "
        "our should so that the their them there these they this to us was we what when where which "
        "who why will with would you your about any"
    ).split()
)


@dataclass
class Citation:
    n: int
    section: Section
    quote: str
    score: float

    def to_json(self) -> dict:
        return {
            "n": self.n,
            **section_json(self.section),
            "quote": self.quote,
            "score": round(self.score, 4),
        }


@dataclass
class Composed:
    text: str
    citations: list[Citation] = field(default_factory=list)


def refusal_text(hits: list[Hit]) -> str:
    text = (
        "The guide does not say. I could not find anything in it that answers this question, "
        "so I will not guess."
    )
    closest = [h.section.title for h in hits[:3]]
    if closest:
        text += " The nearest sections, in case they help, are " + _listing(closest) + "."
    return text


def _listing(titles: list[str]) -> str:
    quoted = [f"“{t}”" for t in titles]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def compose(
    question: str, vector: np.ndarray, hits: list[Hit], index: GuideIndex, max_words: int
) -> Composed:
    """Pick the most relevant statements from the best sections and cite each one."""
    chosen_hits = _supporting(hits)
    rank = {h.section.section_id: i for i, h in enumerate(chosen_hits)}
    sentences = index.sentences(list(rank))
    if not sentences:
        return Composed("")
    query_words = _content_words(question)
    wants_questions = Role.QUESTIONS in wanted_roles(question)
    scored: list[tuple[float, str, str, int]] = []
    for sid, sentence, order, vec in sentences:
        score = float(np.dot(vector, vec))
        score += 0.08 * _overlap(query_words, sentence)
        score -= 0.05 * rank[sid]  # prefer the best-ranked section
        score -= 0.01 * min(order, 5)  # a section's opening usually states its point
        score -= _form_penalty(sentence, wants_questions)
        scored.append((score, sid, sentence, order))
    by_place = {(item[1], item[3]): item for item in scored}
    # Questions and list labels make a poor answer: drop them whenever statements are available.
    statements = [item for item in scored if wants_questions or _is_statement(item[2])]
    scored = statements or scored
    scored.sort(key=lambda item: -item[0])
    picked: list[tuple[float, str, str, int]] = []
    words = 0
    top = scored[0][0]
    for item in scored:
        if item in picked:  # already taken as the sentence another one leans on
            continue
        new = _unpicked_group(item, picked, by_place, wants_questions)
        length = _length(new)
        if not new or words + length > max_words:
            continue
        # Short of the floor, any statement close to the topic may fill the answer out; past it,
        # only sentences nearly as relevant as the best one.
        if picked and item[0] < top - (0.15 if words >= _MIN_WORDS else 0.45):
            break
        picked.extend(new)
        words += length
        if words >= max_words * 0.8:
            break
    if picked and words < _MIN_WORDS:  # grow around the best quote
        _add_context(picked, by_place, picked[0][1], words, max_words, wants_questions)
    return _render(picked, chosen_hits)


def _add_context(
    picked: list, by_place: dict, section_id: str, words: int, max_words: int, wants_questions: bool
) -> None:
    """Grow a short answer by the statements either side of what it quotes from one section.

    Neighbours keep the thread of the passage already quoted, where the section's other sentences,
    however close in wording, may be about something else (its launch date, say).
    """
    while words < _MIN_WORDS:
        taken = {item[3] for item in picked if item[1] == section_id}
        nearby = [by_place[(section_id, o)] for t in taken for o in (t - 1, t + 1)
                  if (section_id, o) in by_place and o not in taken]
        groups = [(item, _unpicked_group(item, picked, by_place, wants_questions)) for item in nearby
                  if wants_questions or _is_statement(item[2])]
        fitting = [(item, new) for item, new in groups if new and words + _length(new) <= max_words]
        if not fitting:
            return
        _, new = max(fitting, key=lambda pair: pair[0][0])
        picked.extend(new)
        words += _length(new)


def _unpicked_group(item: tuple, picked: list, by_place: dict, wants_questions: bool) -> list:
    """The sentence, after any it leans back on ("That means…", "However, …"), less those already
    picked; empty when it cannot be quoted that way.

    Out of its context such a sentence reads as a non sequitur, or even says the opposite, so it is
    only quoted together with the sentences before it, back to one that stands on its own (at most
    `_MAX_LEAN` of them), all statements and none repeating what is already quoted.
    """
    group = [item]
    # A section's first sentence has nothing before it to lean on: "This guide…" means the guide.
    while group[0][3] > 0 and _leans_back(group[0][2]) and group[0] not in picked:
        _, sid, _, order = group[0]
        before = by_place.get((sid, order - 1))
        if len(group) > _MAX_LEAN or before is None or not (wants_questions or _is_statement(before[2])):
            return []
        group.insert(0, before)
    new = [g for g in group if g not in picked]
    chosen = [p[2] for p in picked]
    if any(_duplicate(g[2], chosen) for g in new):
        return []
    return new


def _length(group: list) -> int:
    """Words in a group of scored sentences."""
    return sum(len(item[2].split()) for item in group)


def _leans_back(sentence: str) -> bool:
    """Whether a sentence opens by pointing at the one before it."""
    return bool(_LEANS_BACK.match(sentence.lstrip(" \"“‘'(")))


def _supporting(hits: list[Hit]) -> list[Hit]:
    """The top section, plus the next ones whose evidence is nearly as strong."""
    if not hits:
        return []
    best = hits[0]
    chosen = [best]
    for hit in hits[1:]:
        if len(chosen) >= _MAX_SECTIONS:
            break
        if hit.score >= 0.75 * best.score and hit.similarity >= best.similarity - 0.12:
            chosen.append(hit)
    return chosen


def _render(picked, hits: list[Hit]) -> Composed:
    order_of = {h.section.section_id: i for i, h in enumerate(hits)}
    picked = sorted(picked, key=lambda p: (order_of[p[1]], p[3]))
    numbers: dict[str, int] = {}
    parts: list[str] = []
    quotes: dict[str, list[str]] = {}
    best: dict[str, float] = {}
    for score, sid, sentence, _ in picked:
        n = numbers.setdefault(sid, len(numbers) + 1)
        parts.append(_with_marker(_tidy(sentence), n))
        quotes.setdefault(sid, []).append(sentence)
        best[sid] = max(best.get(sid, -1.0), score)
    by_id = {h.section.section_id: h for h in hits}
    citations = [
        Citation(n, by_id[sid].section, " ".join(quotes[sid]), by_id[sid].similarity)
        for sid, n in numbers.items()
    ]
    return Composed(" ".join(parts), citations)


def _with_marker(sentence: str, n: int) -> str:
    match = re.search(r"([.!?…]+[\"”’)]*)$", sentence)
    if match:
        return f"{sentence[:match.start()]} [{n}]{match.group(1)}"
    return f"{sentence} [{n}]."


def _tidy(sentence: str) -> str:
    sentence = sentence.strip()
    return sentence[0].upper() + sentence[1:] if sentence else sentence


@functools.lru_cache(maxsize=8192)  # the guide's sentences are scored again answer after answer
def _content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2)


def _overlap(query_words: frozenset[str], sentence: str) -> float:
    if not query_words:
        return 0.0
    words = _content_words(sentence)
    return len(query_words & words) / len(query_words)


def _form_penalty(sentence: str, wants_questions: bool) -> float:
    """Statements read better in an answer than questions, fragments or list labels."""
    penalty = 0.0
    words = sentence.split()
    if sentence.rstrip().endswith("?") and not wants_questions:
        penalty += 0.15
    if len(words) < 6:
        penalty += 0.12
    if sentence.rstrip().endswith(":"):
        penalty += 0.2
    if sentence[:1].islower():
        penalty += 0.05
    return penalty


def _is_statement(sentence: str) -> bool:
    text = sentence.rstrip()
    return not text.endswith(("?", ":")) and len(text.split()) >= 5


def _duplicate(sentence: str, chosen: list[str]) -> bool:
    words = _content_words(sentence)
    for other in chosen:
        theirs = _content_words(other)
        union = words | theirs
        if union and len(words & theirs) / len(union) > 0.6:
            return True
    return False
