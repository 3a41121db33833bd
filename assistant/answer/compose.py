"""The extractive answerer: a short paragraph built from the guide's own sentences, each cited.

No language model is involved, so nothing can be invented: every sentence is quoted from a section
and followed by that section's citation number. Sentences from one section share a number.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np

from assistant.answer.passages import (
    about_the_text,
    bullet_text,
    leans_back,
    list_structure,
    points_forward,
)
from assistant.answer.question_kinds import Part, gives, parts
from assistant.ingest.documents import Section
from assistant.retrieve.index import GuideIndex, Hit, section_json
from assistant.retrieve.section_roles import Role, wanted_roles
from assistant.retrieve.terms import content_words

_MAX_SECTIONS = 3
# A later section is quoted when its fused score is this share of the best's and its similarity within
# this gap of it (hand-set with the composer, checked on tests/eval/dev.jsonl answers).
_SUPPORT_SCORE_SHARE = 0.75
_SUPPORT_SIMILARITY_GAP = 0.12
# A section under this many words (a glossary entry) is too thin to answer from alone (hand-set).
_THIN_SECTION_WORDS = 40
_MIN_WORDS = 60
_MAX_LEAN = 2
# Score weights for a candidate sentence, added to its cosine similarity to the question. All set by
# hand and checked on tests/eval/dev.jsonl answers and bench/answers.py (docs/answers.md); none was
# fitted to a metric.
_OVERLAP_WEIGHT = 0.08  # per share of the question's content words the sentence uses
_SECTION_RANK_STEP = 0.05  # per place the sentence's section sits below the best one
_ORDER_STEP = 0.01  # per sentence into its section (up to the fifth): openings state the point
_ORDER_CAP = 5
# Penalties for sentences that read badly in an answer (hand-set, same check as above).
_QUESTION_PENALTY = 0.15
_SHORT_PENALTY = 0.12
_LABEL_PENALTY = 0.2  # a lead-in ending in a colon, quoted without its list
_LOWER_CASE_PENALTY = 0.05
# Past `_MIN_WORDS` a sentence joins only within this of the best score; short of it, within the wider.
_CLOSE_TO_BEST = 0.15
_NEAR_TOPIC = 0.45
# Added to a sentence that has the shape of the answer asked for (a definition for "what is…"),
# shared among a question's parts. Hand-set; checked with bench/answers.py.
_KIND_BONUS = 0.05
# A list quoted as bullets shows at most this many items, and at least this many even past the length
# aimed at (fewer would not read as the list it is).
_MAX_BULLETS = 8
_MIN_BULLETS = 2

# A question about where the guide's points come from may be answered with sentences about its sources.
_ASKS_ABOUT_SOURCES = re.compile(r"\b(sources?|reports?|reported|who says|cites?|cited|evidence for)\b",
                                 re.IGNORECASE)


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
    question: str, vector: np.ndarray, hits: list[Hit], index: GuideIndex, max_words: int,
    asked: str | None = None,
) -> Composed:
    """Pick the most relevant statements from the best sections and cite each one, leading with the
    one that gives the kind of answer asked for.

    `question` is what was searched (a follow-up joined to its context); `asked` is the question as
    the person put it, whose wording says what kind of answer they want (default: `question`).
    """
    wanted = parts(asked or question)
    chosen_hits = _supporting(hits)
    rank = {h.section.section_id: i for i, h in enumerate(chosen_hits)}
    sentences = index.sentences(list(rank))
    if not sentences:
        return Composed("")
    query_words = _content_words(question)
    wants_questions = Role.QUESTIONS in wanted_roles(question)
    wants_sources = bool(_ASKS_ABOUT_SOURCES.search(question))
    lists = {h.section.section_id: list_structure(h.section.text) for h in chosen_hits}
    leads = {(sid, lead) for sid, items in lists.items() for lead, _ in items.values()}
    scored: list[tuple[float, str, str, int]] = []
    for sid, sentence, order, vec in sentences:
        score = float(np.dot(vector, vec))
        score += _OVERLAP_WEIGHT * _overlap(query_words, sentence)
        score -= _SECTION_RANK_STEP * rank[sid]  # prefer the best-ranked section
        score -= _ORDER_STEP * min(order, _ORDER_CAP)  # a section's opening usually states its point
        score -= _form_penalty(sentence, wants_questions)
        score += _KIND_BONUS * sum(gives(p.kind, sentence) for p in wanted) / len(wanted)
        scored.append((score, sid, sentence, order))
    everything = {(item[1], item[3]): item for item in scored}  # for quoting lists whole
    # Questions and list labels make a poor answer: drop them whenever statements are available.
    statements = [item for item in scored if wants_questions or _is_statement(item[2])]
    scored = statements or scored
    # Sentences about the text ("Only one report says this") say nothing about the subject, and one
    # pointing at what follows says nothing without it, unless it leads a list quoted whole. A
    # section's opening that leans back ("This scenario…", "However, …") leans on a heading the
    # answer does not show.
    scored = [item for item in scored
              if (wants_sources or not about_the_text(item[2]))
              and (not points_forward(item[2]) or (item[1], item[3]) in leads)
              and not (item[3] == 0 and leans_back(item[2]))] or scored
    # Only these may be quoted, even as the sentence another one leans on.
    by_place = {(item[1], item[3]): item for item in scored}
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
        if picked and item[0] < top - (_CLOSE_TO_BEST if words >= _MIN_WORDS else _NEAR_TOPIC):
            break
        picked.extend(new)
        words += length
        if words >= max_words * 0.8:
            break
    if picked and words < _MIN_WORDS:  # grow around the best quote
        _add_context(picked, by_place, picked[0][1], words, max_words, wants_questions)
    for part in wanted[1:]:  # a second question gets its own answer, even past the length aimed at
        _answer_part(part, picked, scored, by_place, wants_questions)
    # The lead comes from the best section quoted, which keeps citation [1] for it.
    first = min((rank[p[1]] for p in picked), default=0)
    lead = next((p for p in sorted(picked, key=lambda p: -p[0])
                 if rank[p[1]] == first and gives(wanted[0].kind, p[2]) and not leans_back(p[2])), None)
    return _render(picked, chosen_hits, lists, everything, lead, max_words)


def _answer_part(part: Part, picked: list, scored: list, by_place: dict, wants_questions: bool) -> None:
    """Add the best sentence giving this part's kind of answer when none picked gives it yet."""
    words = _content_words(part.text)
    if any(gives(part.kind, p[2]) and (not words or words & _content_words(p[2])) for p in picked):
        return
    for item in scored:
        if item in picked or not gives(part.kind, item[2]):
            continue
        if words and not words & _content_words(item[2]):
            continue
        new = _unpicked_group(item, picked, by_place, wants_questions)
        if new:
            picked.extend(new)
            return


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
    while group[0][3] > 0 and leans_back(group[0][2]) and group[0] not in picked:
        _, sid, _, order = group[0]
        before = by_place.get((sid, order - 1))
        if len(group) > _MAX_LEAN or before is None:
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


def _supporting(hits: list[Hit]) -> list[Hit]:
    """The top section, plus the next ones whose evidence is nearly as strong. A top section too short
    to answer from (a glossary entry) brings the next section whatever its evidence: the definition
    alone is thin, and the section that discusses the term is usually next."""
    if not hits:
        return []
    best = hits[0]
    chosen = [best]
    for hit in hits[1:]:
        if len(chosen) >= _MAX_SECTIONS:
            break
        thin = len(chosen) == 1 and len(best.section.text.split()) < _THIN_SECTION_WORDS
        if thin or (hit.score >= _SUPPORT_SCORE_SHARE * best.score
                    and hit.similarity >= best.similarity - _SUPPORT_SIMILARITY_GAP):
            chosen.append(hit)
    return chosen


def _render(picked, hits: list[Hit], lists: dict[str, dict[int, tuple[int, int]]],
            by_place: dict, lead: tuple | None, max_words: int) -> Composed:
    """The quotes in reading order, each with its section's number, after the one that answers the
    question (`lead`). A quote from a list, or its lead-in, brings the list as bullets (as many items
    as `max_words` allows): an item alone reads as a fragment."""
    order_of = {h.section.section_id: i for i, h in enumerate(hits)}
    picked = sorted(picked, key=lambda p: (order_of[p[1]], p[3]))
    if lead in picked:  # the answer first, with the sentences right after it that lean on it
        at = end = picked.index(lead)
        while (end + 1 < len(picked) and picked[end + 1][1] == lead[1]
               and picked[end + 1][3] == picked[end][3] + 1 and leans_back(picked[end + 1][2])):
            end += 1
        picked = picked[at:end + 1] + picked[:at] + picked[end + 1:]
    numbers: dict[str, int] = {}
    lines: list[str] = []
    prose: list[str] = []
    quotes: dict[str, list[str]] = {}
    done: set[tuple[str, int]] = set()
    shown: list[str] = []
    words = 0
    previous: tuple[str, int] | None = None  # the last sentence quoted as prose

    def number(sid: str) -> int:
        return numbers.setdefault(sid, len(numbers) + 1)

    for _, sid, sentence, order in picked:
        structure = lists.get(sid, {})
        leads = {owner for owner, _ in structure.values()}
        owner = structure[order][0] if order in structure else order if order in leads else None
        if owner is None:
            # Taken as context for another quote but leading to nothing here, or saying what a bullet
            # already said, or past the length aimed at (a second part's answer may run over).
            if points_forward(sentence) or _duplicate(sentence, shown):
                continue
            if words + len(sentence.split()) > max_words and prose + lines:
                continue
            if order > 0 and leans_back(sentence) and previous != (sid, order - 1):
                continue  # what it leans on was left out above
            previous = (sid, order)
            shown.append(sentence)
            words += len(sentence.split())
            prose.append(_with_marker(_tidy(sentence), number(sid)))
            quotes.setdefault(sid, []).append(sentence)
            continue
        if (sid, owner) in done:
            continue
        done.add((sid, owner))
        starts = sorted({start for lead_in, start in structure.values() if lead_in == owner})
        chosen = {p[2] for p in picked if p[1] == sid}
        head = by_place.get((sid, owner))
        if head is not None and (about_the_text(head[2]) or leans_back(head[2])):
            head = None  # the sentence before a run of labelled items need not introduce them
        items: list[str] = []
        words += len(head[2].split()) if head else 0
        for start in starts[:_MAX_BULLETS]:
            item = bullet_text([by_place[(sid, o)][2] for o in sorted(structure)
                                if structure[o] == (owner, start) and (sid, o) in by_place], chosen)
            if item and (words + len(item.split()) <= max_words or len(items) < _MIN_BULLETS):
                items.append(item)
                words += len(item.split())
        if not items:
            continue
        n = number(sid)
        previous = None
        if prose:
            lines.append(" ".join(prose))
            prose = []
        if head is not None:
            lines.append(_with_marker(_tidy(head[2]), n))
        lines += [f"- {_with_marker(_tidy(item), n)}" for item in items]
        shown.extend(items)
        quotes.setdefault(sid, []).extend(([head[2]] if head else []) + items)
    if prose:
        lines.append(" ".join(prose))
    by_id = {h.section.section_id: h for h in hits}
    citations = [
        Citation(n, by_id[sid].section, " ".join(quotes[sid]), by_id[sid].similarity)
        for sid, n in numbers.items()
    ]
    return Composed("\n".join(lines), citations)


def _with_marker(sentence: str, n: int) -> str:
    match = re.search(r"([.!?…:]+[\"”’)]*)$", sentence)
    if match:
        return f"{sentence[:match.start()]} [{n}]{match.group(1)}"
    return f"{sentence} [{n}]."


def _tidy(sentence: str) -> str:
    sentence = sentence.strip()
    return sentence[0].upper() + sentence[1:] if sentence else sentence


@functools.lru_cache(maxsize=8192)  # the guide's sentences are scored again answer after answer
def _content_words(text: str) -> frozenset[str]:
    return content_words(text)


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
        penalty += _QUESTION_PENALTY
    if len(words) < 6:
        penalty += _SHORT_PENALTY
    if sentence.rstrip().endswith(":"):
        penalty += _LABEL_PENALTY
    if sentence[:1].islower():
        penalty += _LOWER_CASE_PENALTY
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
