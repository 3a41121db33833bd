"""What kind of text a section is, and whether the question asks for that kind.

Guides mix explanation with reference material: glossary entries, lists of questions to put to
officers, worked examples, short chapter introductions and pages about the document itself ("What
the guide set out to do" mentions every topic once). Such text shares a question's words
without answering it ("Who should be in charge of digital?" sits close to "Questions about
leadership", which asks rather than tells). So unless a question asks for such text — a
definition, questions to ask, an example, who wrote the guide — its sections are ranked a little
lower than the explanation around them. The roles are read from a section's structure and
wording, never from one guide's headings. Measured on guides this team did not write, those priors
did not help (see DEMOTION): the shipped factors leave every role's score as fusion gave it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from assistant.ingest.documents import Section
from assistant.ingest.formats.headings import strip_numbering
from assistant.ingest.sentences import split_sentences


class Role(StrEnum):
    EXPLANATION = "explanation"
    DEFINITION = "definition"  # an entry in a glossary or list of terms
    QUESTIONS = "questions"  # a list of questions for the reader to ask
    EXAMPLE = "example"  # a case study or worked example
    OVERVIEW = "overview"  # a chapter's short opening text, before its own subsections
    ABOUT = "about"  # text about the document itself: its aims, sources, how to use it


# How much of its fused score a section keeps when the question does not ask for its kind. Chosen by
# bench/calibrate.py leaving one document out at a time (docs/quality.md): demoting question lists,
# glossaries, examples and chapter openings helped the companion it was first fitted on but no other
# guide, where a checklist or a chapter's opening often holds the answer. Fitted on all documents,
# no role keeps a prior; the roles are still read (the app's glossary panel, browsing), and the
# factors stay here so calibrate.py can try them again on new documents.
DEMOTION: dict[Role, float] = {
    Role.DEFINITION: 1.0,
    Role.QUESTIONS: 1.0,
    Role.EXAMPLE: 1.0,
    Role.OVERVIEW: 1.0,
    Role.ABOUT: 1.0,
}

# Headings that file what is under them as a list of terms (the UI's glossary panel uses it too).
GLOSSARY_HEADING = re.compile(
    r"\b(glossary|definitions?|key terms|terms used|jargon|abbreviations|acronyms)\b", re.I
)
_DOCUMENT = r"(guide|companion|document|report|paper|handbook|toolkit|booklet)"
# "About this companion", "Introduction", "What the guide set out to do", "How to use this toolkit".
ABOUT_HEADING = re.compile(
    rf"^(about|introduction|foreword|preface|contents|how to use)\b|\b(this|the) {_DOCUMENT}\b", re.I
)
_EXAMPLE = re.compile(r"\b(case stud(y|ies)|scenarios?|worked examples?|examples?)\b", re.I)
# A run of many short sibling entries reads as a reference list even without a telling heading.
_MIN_ENTRIES = 8
_ENTRY_WORDS = 45
# A heading's own text is an overview when it is short beside what its subsections say; a long
# text above a few subsections is explanation in its own right.
_OVERVIEW_SHARE = 0.5
_QUESTION_SHARE = 1 / 3
_MIN_QUESTIONS = 3

_ASKS_DEFINITION = re.compile(
    r"^\W*(what\s+(exactly\s+)?(is|are|was)\s+(an?\s+|the\s+)?|what's\s+(an?\s+|the\s+)?|"
    r"who\s+(is|are)\s+(an?\s+|the\s+)?|define\s+|explain\s+|meaning\s+of\s+|definition\s+of\s+)"
    r"(?P<term>[^?]*)\??\s*$",
    re.I,
)
_MEANS = re.compile(r"\b(mean|means|meant|stand\s+for|stands\s+for|jargon|term)\b", re.I)
_ASKS_QUESTIONS = re.compile(r"\b(ask|asking|questions?|challenge|scrutin\w*)\b", re.I)
_ASKS_EXAMPLE = re.compile(r"\b(examples?|case stud(y|ies)|scenarios?|in practice|for instance)\b", re.I)
# Asking about the document itself: who wrote it, when, why, from what sources.
_ASKS_ABOUT = re.compile(
    rf"\b(techuk|author|wrote|written|published|launched|sources?|this {_DOCUMENT}|"
    rf"{_DOCUMENT}'s|(aims?|purpose|point) of the {_DOCUMENT})\b",
    re.I,
)
_SHORT_TERM_WORDS = 4


def section_roles(sections: Mapping[str, Section]) -> dict[str, Role]:
    """Each section's role, judged from its place among the others and from its own text."""
    children: dict[tuple[str, ...], list[Section]] = {}
    for s in sections.values():
        if len(s.path) > 1:
            children.setdefault((s.source, *s.path[:-1]), []).append(s)
    return {sid: _role(s, children) for sid, s in sections.items()}


def _role(section: Section, children: Mapping[tuple[str, ...], list[Section]]) -> Role:
    below = children.get((section.source, *section.path), [])
    if below and _words(section) <= _OVERVIEW_SHARE * _median([_words(s) for s in below]):
        return Role.OVERVIEW
    parents = section.path[:-1]
    siblings = children.get((section.source, *parents), [])
    if any(GLOSSARY_HEADING.search(h) for h in parents) or _reference_list(siblings):
        return Role.DEFINITION
    sentences = split_sentences(section.text)
    asked = sum(s.rstrip().endswith("?") for s in sentences)
    if asked >= _MIN_QUESTIONS and asked >= _QUESTION_SHARE * len(sentences):
        return Role.QUESTIONS
    if _EXAMPLE.search(section.title) or any(_EXAMPLE.search(h) for h in parents):
        return Role.EXAMPLE
    if ABOUT_HEADING.search(strip_numbering(section.title)):
        return Role.ABOUT
    return Role.EXPLANATION


def _reference_list(siblings: list[Section]) -> bool:
    return len(siblings) >= _MIN_ENTRIES and _median([_words(s) for s in siblings]) <= _ENTRY_WORDS


def _words(section: Section) -> int:
    return len(section.text.split())


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def wanted_roles(question: str) -> set[Role]:
    """The kinds of reference text a question asks for, beyond explanation."""
    wanted: set[Role] = set()
    definition = _ASKS_DEFINITION.match(question.strip())
    if _MEANS.search(question) or (
        definition and len(definition.group("term").split()) <= _SHORT_TERM_WORDS
    ):
        wanted.add(Role.DEFINITION)
    if _ASKS_QUESTIONS.search(question):
        wanted.add(Role.QUESTIONS)
    if _ASKS_EXAMPLE.search(question):
        wanted.add(Role.EXAMPLE)
    if _ASKS_ABOUT.search(question):
        wanted.add(Role.ABOUT)
    return wanted


def weight(role: Role, wanted: set[Role], demotion: Mapping[Role, float] | None = None) -> float:
    """The factor a section's fused score is multiplied by for this question."""
    if role is Role.EXPLANATION or role in wanted:
        return 1.0
    return (demotion or DEMOTION).get(role, 1.0)
