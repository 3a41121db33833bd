"""Finding one's way around whatever guide is indexed: contents, search, glossary, suggested questions.

Nothing here is written for one particular guide: starter questions come from the top-level
headings, the glossary is any section filed under a heading containing "Glossary", and related
questions come from the sections retrieval ranked next to an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.ingest.documents import Section, table_of_contents
from assistant.ingest.formats.headings import strip_numbering
from assistant.ingest.sentences import split_sentences
from assistant.retrieve.section_roles import ABOUT_HEADING, GLOSSARY_HEADING

_QUESTIONS_ABOUT = re.compile(r"^questions?\s+(?:to\s+ask\s+)?(?:about|on|for)\s+(.+)$", re.IGNORECASE)


def question_about(title: str, path: Sequence[str] = ()) -> str:
    """A plain question a reader might ask of a section, worded for what kind of section it is.

    Args:
        title: The section's heading.
        path: Its heading path (the headings above it tell a glossary entry from a chapter).
    """
    topic = strip_numbering(title)
    if topic.endswith("?"):
        return topic
    if any(GLOSSARY_HEADING.search(h) for h in path[:-1]):
        return f"What does “{topic}” mean?"
    asked = _QUESTIONS_ABOUT.match(topic)
    if asked:
        return f"What should I ask about {_lower_first(asked.group(1))}?"
    return f"What does the guide say about {_lower_first(topic)}?"


def _lower_first(topic: str) -> str:
    if len(topic) > 1 and not topic[1].isupper():  # keep acronyms like 'API' as they are
        return topic[0].lower() + topic[1:]
    return topic


def subsections(sections: Iterable[Section], parent: Section) -> list[Section]:
    """The sections directly under `parent` in its document, in reading order."""
    depth = len(parent.path)
    return [s for s in table_of_contents(sections)
            if s.source == parent.source and len(s.path) == depth + 1 and s.path[:depth] == parent.path]


def starter_questions(sections: Iterable[Section], count: int = 4) -> list[str]:
    """Questions about the guide's main chapters: the shallowest level with several headings."""
    # Order 0 is a document's title and opening text, not a chapter.
    ordered = [s for s in table_of_contents(sections) if s.order > 0 and not GLOSSARY_HEADING.search(s.title)]
    for level in sorted({s.level for s in ordered}):
        chapters = [s for s in ordered
                    if s.level == level and not ABOUT_HEADING.search(strip_numbering(s.title))]
        if len(chapters) >= min(count, 3):
            picked = _spread(chapters, count)
            return [question_about(s.title, s.path) for s in picked]
    return [question_about(s.title, s.path) for s in ordered[:count]]


def _spread(items: list[Section], count: int) -> list[Section]:
    """`count` items spread evenly across the list, so starters cover the whole guide."""
    if len(items) <= count:
        return items
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def related(answer: dict, sections: dict[str, Section], count: int = 3) -> list[Section]:
    """Sections retrieval ranked near an answer that the answer itself did not cite."""
    cited = {c.get("section_id") for c in answer.get("citations", [])}
    found: list[Section] = []
    for hit in answer.get("retrieved", []):
        sid = hit.get("section_id")
        if sid in cited or sid not in sections or any(s.section_id == sid for s in found):
            continue
        found.append(sections[sid])
        if len(found) == count:
            break
    return found


def search_sections(sections: Iterable[Section], query: str, limit: int = 10) -> list[Section]:
    """Sections whose title or text contains every word of the query; title matches first."""
    words = [w for w in re.findall(r"\w+", query.lower()) if w]
    if not words:
        return []
    scored: list[tuple[int, int, Section]] = []
    for s in table_of_contents(sections):
        title, text = s.title.lower(), s.text.lower()
        if all(w in title or w in text for w in words):
            in_title = sum(w in title for w in words)
            scored.append((-in_title, -sum(text.count(w) for w in words), s))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [s for _, _, s in scored[:limit]]


def glossary_entries(sections: Iterable[Section]) -> list[Section]:
    """Sections filed under any heading containing 'Glossary' (the glossary heading itself included)."""
    return [s for s in table_of_contents(sections) if any(GLOSSARY_HEADING.search(p) for p in s.path)]


@dataclass
class Definition:
    term: str
    text: str
    section: Section


def glossary_lookup(sections: Iterable[Section], term: str, limit: int = 5) -> list[Definition]:
    """Glossary definitions for a term: entries titled with it first, then paragraphs mentioning it."""
    needle = term.strip().lower()
    if not needle:
        return []
    exact: list[Definition] = []
    mentions: list[Definition] = []
    for s in glossary_entries(sections):
        if GLOSSARY_HEADING.search(s.title):
            # A glossary written as one section: each paragraph is usually "Term: meaning".
            for paragraph in s.paragraphs:
                if needle in paragraph.lower():
                    head = re.split(r"[:\u2013\u2014-]\s", paragraph, maxsplit=1)[0][:60]
                    target = exact if head.lower().startswith(needle) else mentions
                    target.append(Definition(head, paragraph, s))
        elif needle in s.title.lower():
            exact.append(Definition(s.title, s.text, s))
        elif needle in s.text.lower():
            mentions.append(Definition(s.title, s.text, s))
    exact.sort(key=lambda d: (d.term.lower() != needle, len(d.term)))
    return (exact + mentions)[:limit]


def passage(section: Section, quote: str) -> list[list[tuple[str, bool]]]:
    """The section's paragraphs as sentences, each flagged True when the quote cites it."""
    quoted = " ".join(quote.split())
    paragraphs: list[list[tuple[str, bool]]] = []
    for paragraph in section.paragraphs:
        parts = [(s, " ".join(s.split()) in quoted) for s in split_sentences(paragraph)]
        paragraphs.append(parts or [(paragraph, False)])
    return paragraphs
