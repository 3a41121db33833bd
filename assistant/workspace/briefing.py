"""Briefing notes for officers: pinned questions and answers, exported as Word (.docx) or Markdown.

Each answer numbers its citations from 1; a briefing numbers its references once, across all its
answers, so the reference list at the end has no duplicates and the markers in the text point
into it. The closing line says which guide files and which index build the answers came from.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from assistant.ingest.documents import Section, format_reference
from assistant.workspace.conversations import Turn
from assistant.workspace.safe_text import escape_markdown, strip_control

_MARKER = re.compile(r"\[(\d+)\]")
DEFAULT_TITLE = "Briefing note"


@dataclass
class Reference:
    n: int
    section_id: str
    text: str  # "2 Leadership › 2.1 A chief digital officer — guide.pdf, p. 4"


@dataclass
class BriefingItem:
    question: str
    answer: str  # with markers renumbered into the briefing's reference list
    refused: bool = False


@dataclass
class Briefing:
    title: str
    date: str
    notes: str = ""
    items: list[BriefingItem] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    provenance: str = ""


def reference_text(citation: dict) -> str:
    """A citation from an answer's JSON, formatted as the command line formats a section."""
    section = SimpleNamespace(
        path=tuple(citation.get("path") or [citation.get("title", "")]),
        source=citation.get("source", ""),
        page_start=citation.get("page"),
        page_end=citation.get("page_end"),
    )
    return format_reference(section)


def build_briefing(title: str, notes: str, turns: Iterable[Turn], provenance: str = "",
                   date: str | None = None) -> Briefing:
    """Gather pinned turns into a briefing with one shared, numbered reference list."""
    briefing = Briefing(
        title=title.strip() or DEFAULT_TITLE,
        date=date or time.strftime("%d %B %Y").lstrip("0"),
        notes=notes.strip(),
        provenance=provenance,
    )
    numbers: dict[str, int] = {}
    for turn in turns:
        local: dict[int, int] = {}
        for citation in turn.answer.get("citations", []):
            sid = citation.get("section_id", "")
            if sid not in numbers:
                numbers[sid] = len(numbers) + 1
                briefing.references.append(Reference(numbers[sid], sid, reference_text(citation)))
            local[int(citation.get("n", 0))] = numbers[sid]
        text = _renumber(turn.answer_text, local)
        briefing.items.append(BriefingItem(turn.question, text, bool(turn.answer.get("refused"))))
    return briefing


def _renumber(text: str, numbers: dict[int, int]) -> str:
    """Rewrite an answer's own [n] markers as the briefing's reference numbers."""
    return _MARKER.sub(lambda m: f"[{numbers.get(int(m.group(1)), m.group(1))}]", text)


def provenance_line(sections: Iterable[Section], generation: str, built_at: str | None,
                    model: str | None) -> str:
    """'From: <guide title> (file); index gen-..., built ..., embedding model ...'."""
    firsts: dict[str, Section] = {}
    for s in sections:
        if s.source not in firsts or s.order < firsts[s.source].order:
            firsts[s.source] = s
    guides = "; ".join(f"{firsts[src].path[0]} ({src})" for src in sorted(firsts))
    line = f"Prepared from: {guides or 'no documents'}. Index {generation}"
    if built_at:
        line += f", built {built_at}"
    if model:
        line += f", embedding model {model}"
    return line + ". Answers quote the guide; check each reference before relying on it."


def to_markdown(briefing: Briefing) -> str:
    """A Markdown note; all text from the guide or the officer is escaped so it stays text."""

    def esc(text: str) -> str:
        return escape_markdown(text, streamlit=False)

    lines = [f"# {esc(briefing.title)}", "", f"*{esc(briefing.date)}*", ""]
    if briefing.notes:
        lines += ["## Officer notes", "", esc(briefing.notes), ""]
    for i, item in enumerate(briefing.items, 1):
        lines += [f"## {i}. {esc(item.question)}", "", esc(item.answer), ""]
    if briefing.references:
        lines += ["## References", ""]
        lines += [f"{ref.n}\\. {esc(ref.text)}  " for ref in briefing.references]
        lines.append("")
    if briefing.provenance:
        lines += ["---", "", f"*{esc(briefing.provenance)}*", ""]
    return "\n".join(lines)


def to_docx(briefing: Briefing) -> bytes:
    """A Word document that reads as a finished briefing note."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = strip_control(briefing.title)
    doc.add_heading(strip_control(briefing.title), level=0)
    doc.add_paragraph(briefing.date)
    if briefing.notes:
        doc.add_heading("Officer notes", level=1)
        for paragraph in strip_control(briefing.notes).split("\n\n"):
            doc.add_paragraph(paragraph.strip())
    for i, item in enumerate(briefing.items, 1):
        doc.add_heading(f"{i}. {strip_control(item.question)}", level=1)
        doc.add_paragraph(strip_control(item.answer))
    if briefing.references:
        doc.add_heading("References", level=1)
        for ref in briefing.references:
            doc.add_paragraph(f"[{ref.n}] {strip_control(ref.text)}")
    if briefing.provenance:
        run = doc.add_paragraph().add_run(strip_control(briefing.provenance))
        run.italic = True
        run.font.size = Pt(9)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def file_stem(title: str) -> str:
    """A safe file name from the briefing title."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60]
    return stem or "briefing"
