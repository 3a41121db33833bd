"""Briefing notes for officers: the questions a member raised and what the guide says, as a note to hand over.

The note reads top to bottom as an officer would write it: title, date, a one-line purpose, then
**Key points** (one cited line per question), then each question written to stand on its own with
its answer, then the officer's notes, what the guide does not cover, and the references (section
path, file and page). Near-duplicate questions are merged into one. Each answer numbers its
citations from 1; the note numbers its references once across all answers, so the list at the end
has no duplicates and the markers in the text point into it. How the answers were produced (index,
model) is not the reader's business and stays out.

The same `Briefing` renders as Markdown (here) and as Word on A4 (briefing_export), from the app or
from `assistant brief`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from assistant.ingest.documents import Section, format_reference
from assistant.ingest.sentences import split_sentences
from assistant.workspace.conversations import Turn
from assistant.workspace.safe_text import escape_markdown, strip_control

_MARKER = re.compile(r"\[(\d+)\]")
_WORD = re.compile(r"[a-z0-9]+")
_BULLET = re.compile(r"^\s*[-*•]\s+")
DEFAULT_TITLE = "Briefing note"
CHECK_LINE = "Answers quote the guide; check each reference before relying on it."
# Two questions (or two answers) whose content words overlap this much say the same thing.
SAME_QUESTION = 0.6
SAME_ANSWER = 0.8
_STOP = frozenset(
    "a an and are as at be by can could do does for from has have how i if in is it its me my of on "
    "or our should so that the their them there this to us was we what when where which who why "
    "will with would you your".split()
)


@dataclass
class Reference:
    n: int
    section_id: str
    text: str  # "2 Leadership › 2.1 A chief digital officer — guide.pdf, p. 4"


@dataclass
class BriefingItem:
    question: str  # as it stands on its own (the searched-as question where there is one)
    answer: str  # with markers renumbered into the note's reference list
    refused: bool = False
    asked_as: list[str] = field(default_factory=list)  # the member's own wordings, when they differ
    typed: str = ""  # what the member typed for this item's first question

    @property
    def key_point(self) -> str:
        """The answer's first sentence, carrying a citation marker."""
        text = _BULLET.sub("", self.answer.strip().split("\n")[0])
        first = (split_sentences(text) or [text])[0]
        if not _MARKER.search(first):
            marker = _MARKER.search(self.answer)
            first = f"{first} [{marker.group(1)}]" if marker else first
        return first


@dataclass
class Briefing:
    title: str
    date: str
    purpose: str
    notes: str = ""
    items: list[BriefingItem] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    source: str = ""

    @property
    def answered(self) -> list[BriefingItem]:
        return [item for item in self.items if not item.refused]

    @property
    def not_covered(self) -> list[BriefingItem]:
        return [item for item in self.items if item.refused]


def reference_text(citation: dict) -> str:
    """A citation from an answer's JSON, formatted as the command line formats a section."""
    section = SimpleNamespace(
        path=tuple(citation.get("path") or [citation.get("title", "")]),
        source=citation.get("source", ""),
        page_start=citation.get("page"),
        page_end=citation.get("page_end"),
    )
    return format_reference(section)


def standalone_question(turn: Turn) -> str:
    """The question as it reads without the conversation: what the pipeline searched for, if it
    rewrote a follow-up, else what the member typed."""
    return str(turn.answer.get("standalone_question") or turn.question).strip()


def default_purpose(count: int, guide: str) -> str:
    asked = "the question" if count == 1 else f"the {count} questions"
    name = f"“{guide}”" if guide else "the guide"
    return f"To set out what {name} says on {asked} raised, with references to check."


def build_briefing(title: str, notes: str, turns: Iterable[Turn], source: str = "",
                   date: str | None = None, purpose: str = "", guide: str = "") -> Briefing:
    """Gather answered turns into a note: duplicates merged, one shared, numbered reference list."""
    items = _merge([_draft(turn) for turn in turns])
    briefing = Briefing(
        title=title.strip() or DEFAULT_TITLE,
        date=date or time.strftime("%d %B %Y").lstrip("0"),
        purpose=purpose.strip() or default_purpose(len(items), guide),
        notes=notes.strip(),
        source=source,
    )
    numbers: dict[str, int] = {}
    for item, citations in items:
        local: dict[int, int] = {}
        for citation in citations:
            sid = citation.get("section_id", "")
            if sid not in numbers:
                numbers[sid] = len(numbers) + 1
                briefing.references.append(Reference(numbers[sid], sid, reference_text(citation)))
            local[int(citation.get("n", 0))] = numbers[sid]
        item.answer = _renumber(item.answer, local)
        briefing.items.append(item)
    return briefing


def _draft(turn: Turn) -> tuple[BriefingItem, list[dict]]:
    """An item for one turn, with the citations its markers refer to (none for a refusal)."""
    question, typed = standalone_question(turn), turn.question.strip()
    refused = bool(turn.answer.get("refused"))
    citations = [] if refused else list(turn.answer.get("citations", []))
    return BriefingItem(question, turn.answer_text.strip(), refused, typed=typed), citations


def _merge(drafts: list[tuple[BriefingItem, list[dict]]]) -> list[tuple[BriefingItem, list[dict]]]:
    """Fold each question into an earlier one that asks the same thing or got the same answer."""
    kept: list[tuple[BriefingItem, list[dict]]] = []
    for item, citations in drafts:
        twin = next((k for k, cited in kept if _same(k, cited, item, citations)), None)
        if twin is None:
            kept.append((item, citations))
        elif item.typed not in (twin.question, twin.typed, *twin.asked_as):
            twin.asked_as.append(item.typed)  # the member's words, not a rewritten follow-up
    return kept


def _same(a: BriefingItem, cited_a: list[dict], b: BriefingItem, cited_b: list[dict]) -> bool:
    """Near-duplicates: the same words asked and the same section first cited (a question alone is
    not enough: the same words can follow up different subjects), or the same answer."""
    if a.refused or b.refused:
        return a.refused and b.refused and _overlap(a.typed, b.typed) >= SAME_QUESTION
    first = {(c or [{}])[0].get("section_id") for c in (cited_a, cited_b)}
    if len(first) == 1 and _overlap(a.typed, b.typed) >= SAME_QUESTION:
        return True
    return _overlap(_MARKER.sub("", a.answer), _MARKER.sub("", b.answer)) >= SAME_ANSWER


def _overlap(a: str, b: str) -> float:
    """Jaccard overlap of the content words of two texts."""
    words_a, words_b = _content_words(a), _content_words(b)
    if not words_a or not words_b:
        return 0.0
    return len(words_a & words_b) / len(words_a | words_b)


def _content_words(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(text.lower()) if w not in _STOP}


def _renumber(text: str, numbers: dict[int, int]) -> str:
    """Rewrite an answer's own [n] markers as the note's reference numbers."""
    return _MARKER.sub(lambda m: f"[{numbers.get(int(m.group(1)), m.group(1))}]", text)


def guide_titles(sections: Iterable[Section]) -> dict[str, str]:
    """Each document's title (its first top-level heading), by file name."""
    firsts: dict[str, Section] = {}
    for s in sections:
        if s.source not in firsts or s.order < firsts[s.source].order:
            firsts[s.source] = s
    return {source: firsts[source].path[0] for source in sorted(firsts)}


def source_line(sections: Iterable[Section]) -> str:
    """'Source: <guide title> (file). Answers quote the guide; ...' — documents, never the index."""
    guides = "; ".join(f"{title} ({source})" for source, title in guide_titles(sections).items())
    return f"Source: {guides or 'no documents'}. {CHECK_LINE}"


def answer_paragraphs(text: str) -> list[tuple[str, bool]]:
    """An answer's paragraphs and list items, as (text, is_list_item)."""
    out = []
    for line in strip_control(text).replace("\r\n", "\n").split("\n"):
        if line.strip():
            out.append((_BULLET.sub("", line).strip(), bool(_BULLET.match(line))))
    return out


def to_markdown(briefing: Briefing) -> str:
    """The note in Markdown; all text from the guide or the officer is escaped so it stays text."""

    def esc(text: str) -> str:
        return escape_markdown(text, streamlit=False)

    lines = [f"# {esc(briefing.title)}", "", f"**Date:** {esc(briefing.date)}  ",
             f"**Purpose:** {esc(briefing.purpose)}", ""]
    if briefing.answered:
        lines += ["## Key points", ""]
        lines += [f"- **{esc(item.question)}** {esc(item.key_point)}" for item in briefing.answered]
        lines.append("")
        lines += ["## Questions and answers", ""]
    for i, item in enumerate(briefing.answered, 1):
        lines += [f"### {i}. {esc(item.question)}", ""]
        if item.asked_as:
            lines += [f"*Also asked as: {esc('; '.join(item.asked_as))}*", ""]
        for text, bullet in answer_paragraphs(item.answer):
            lines.append(f"- {esc(text)}" if bullet else f"{esc(text)}\n")
        lines.append("")
    if briefing.notes:
        lines += ["## Officer's notes", "", esc(briefing.notes), ""]
    if briefing.not_covered:
        lines += ["## Not covered by the guide", ""]
        lines += [f"- {esc(item.question)}" for item in briefing.not_covered]
        lines.append("")
    if briefing.references:
        lines += ["## References", ""]
        lines += [f"{ref.n}\\. {esc(ref.text)}  " for ref in briefing.references]
        lines.append("")
    if briefing.source:
        lines += ["---", "", f"*{esc(briefing.source)}*", ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def file_stem(title: str) -> str:
    """A safe file name from the briefing title."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60]
    return stem or "briefing"
