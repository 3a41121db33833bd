"""Scoring answers, not retrieval: key-point recall and shape faults (`bench/answers.py`, CI floor).

Each question in `tests/eval/answers.jsonl` lists 2-4 key points, short phrases found in its gold
section. An answer's recall is the share of its key points it contains. The plain-RAG answer it is
compared with is what a retrieval demo shows without a language model: the top retrieved chunk, cut
to the same number of words as our answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.answer.passages import list_structure
from assistant.answer.pipeline import Answer, Assistant
from assistant.evaluation.answer_shape import shape_faults
from assistant.ingest.sentences import split_sentences

_MARKER = re.compile(r"\s*\[\d+\]")
_NOT_WORD = re.compile(r"[^a-z0-9£%]+")
_ABOUT_SOURCES = re.compile(r"\b(sources?|reports?|who says|where does .* come from|cited?)\b", re.I)


@dataclass
class KeyPointQuestion:
    id: str
    question: str
    gold: list[str]
    key_points: list[str]
    lacks: bool = False


@dataclass
class Scored:
    question: KeyPointQuestion
    answer: str
    recall: float
    top_chunk_recall: float
    faults: list[str] = field(default_factory=list)


def load(path: Path) -> list[KeyPointQuestion]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [KeyPointQuestion(r["id"], r["question"], r["gold"], r["key_points"], r.get("lacks", False))
            for r in rows]


def normalise(text: str) -> str:
    return " " + _NOT_WORD.sub(" ", _MARKER.sub("", text).lower().replace("’", "'")).strip() + " "


def recall(text: str, key_points: list[str]) -> float:
    plain = normalise(text)
    return sum(normalise(k) in plain for k in key_points) / len(key_points) if key_points else 0.0


def words(text: str) -> int:
    return len(_MARKER.sub("", text).split())


def top_chunk(answer: Answer, assistant: Assistant, length: int) -> str:
    """What a plain RAG without a model shows: the best chunk of the top section, cut to `length` words."""
    if not answer.hits:
        return ""
    hit = answer.hits[0]
    # The chunk that matched best: its similarity ordered the evidence first.
    text = assistant.index.chunk_text.get(hit.chunk_ids[0], "") if hit.chunk_ids else hit.section.text
    return " ".join(text.split()[:length])


def cited_list_items(answer: Answer) -> list[str]:
    """Sentences of the cited sections that are list items (quoting one as prose is a fragment)."""
    items: list[str] = []
    for citation in answer.citations:
        sentences = split_sentences(citation.section.text)
        items += [sentences[i] for i in list_structure(citation.section.text) if i < len(sentences)]
    return items


def faults_of(answer: Answer) -> list[str]:
    return shape_faults(answer.answer, cited_list_items(answer), bool(_ABOUT_SOURCES.search(answer.question)))


def score(assistant: Assistant, questions: list[KeyPointQuestion]) -> list[Scored]:
    scored = []
    for q in questions:
        answer = assistant.ask(q.question)
        plain = top_chunk(answer, assistant, words(answer.answer))
        scored.append(Scored(q, answer.answer, recall(answer.answer, q.key_points),
                             recall(plain, q.key_points), faults_of(answer)))
    return scored
