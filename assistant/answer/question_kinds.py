"""What kind of answer a question asks for, and which of the guide's sentences gives that kind.

"What is a CDO?" wants a definition; "Should we have one?" a recommendation; "How should we buy?"
advice on doing; "Who…?" people or bodies; "Why…?" a reason. A question may ask two things ("What
is a CDO and do we need one?"): each part is recognised on its own, so the answer can give both.

The cues are English function words and sentence shapes, not any guide's wording, so they carry
over to a guide we have not seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    WHAT_IS = "what-is"
    SHOULD = "should-we"
    HOW = "how-to"
    WHO = "who"
    WHY = "why"
    ASK = "what to ask"
    OTHER = "other"


@dataclass(frozen=True)
class Part:
    kind: Kind
    text: str


_OPENINGS: list[tuple[Kind, re.Pattern[str]]] = [
    (Kind.ASK, re.compile(r"\b(what|which)\s+(questions?|should\s+(i|we)\s+ask)\b|\bquestions?\s+to\s+ask\b"
                          r"|\bwhat\s+(should|could|can)\s+(i|we)\s+ask\b", re.I)),
    (Kind.WHY, re.compile(r"^\s*why\b|\bwhat\s+is\s+the\s+(point|reason)\b", re.I)),
    (Kind.WHO, re.compile(r"^\s*(who|whom|which\s+(people|groups?|partners?|bodies|organisations?))\b",
                          re.I)),
    (Kind.HOW, re.compile(r"^\s*(how|what\s+(can|should|could|do|must)\s+"
                          r"(i|we|a|the|councils?|councillors?)|what\s+steps)\b", re.I)),
    (Kind.WHAT_IS, re.compile(r"^\s*(what\s+(is|are|was|were|does\s+\S+(\s+\S+)?\s+mean)|define|meaning)\b",
                              re.I)),
    (Kind.SHOULD, re.compile(r"^\s*(should|do|does|did|is|are|can|could|must|would|will|need)\b", re.I)),
]
# " and " that starts a second question: "What is a CDO and do we need one?"
_SECOND_QUESTION = re.compile(
    r"\s+(?:and|or|but)\s+(?=(?:how|why|who|what|when|where|which|should|do|does|did|is|are|can|could|"
    r"must|would|will)\b)",
    re.I,
)

# What a sentence that gives each kind of answer tends to contain.
_CUES: dict[Kind, re.Pattern[str]] = {
    Kind.WHAT_IS: re.compile(r"\b(is|are|means|refers to|is called|stands for)\s+"
                             r"(a|an|the|one|any|when|how)\b|\bmeans\b|,\s*or\s+[A-Z]{2,}\b", re.I),
    Kind.SHOULD: re.compile(r"\b(should|must|needs? to|worth|the answer is|recommend|best|helps?|gives?)\b",
                            re.I),
    Kind.HOW: re.compile(r"^(?:\w+\s)?(?:ask|use|start|keep|check|make|set|plan|test|buy|talk|avoid|share|"
                         r"describe|insist|turn|pick|agree|meet|read|listen|find|look|follow|publish|open)\b"
                         r"|\b(should|can|by|steps?|start with|first)\b", re.I),
    Kind.WHO: re.compile(r"\b(councillors?|officers?|members?|leaders?|chief executive|residents|people|"
                         r"groups?|partners?|suppliers?|firms?|staff|teams?|bodies|charities|schools|libraries|"
                         r"universities|businesses|board|person|chair)\b", re.I),
    Kind.WHY: re.compile(r"\b(because|so that|so|since|reason|helps?|means|matters|otherwise|without|"
                         r"cannot|can no longer|lets?|saves?)\b", re.I),
    Kind.ASK: re.compile(r"\?\s*$"),
}


def kind_of(text: str) -> Kind:
    for kind, pattern in _OPENINGS:
        if pattern.search(text):
            return kind
    return Kind.OTHER


def parts(question: str) -> list[Part]:
    """The question's parts, each with the kind of answer it wants (one part for most questions)."""
    pieces: list[str] = []
    for sentence in re.split(r"(?<=\?)\s+", question.strip()):
        pieces += [p for p in _SECOND_QUESTION.split(sentence) if p.strip()]
    found = [Part(kind_of(p), p.strip()) for p in pieces]
    asked = [p for p in found if p.kind is not Kind.OTHER]
    return (asked or found)[:2]


def gives(kind: Kind, sentence: str) -> bool:
    """Whether a sentence has the shape of the kind of answer asked for."""
    cue = _CUES.get(kind)
    return bool(cue and cue.search(sentence))
