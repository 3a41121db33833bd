"""Briefing export: one reference list across answers, Word and Markdown files that read back."""

from __future__ import annotations

import io
import re

from docx import Document

from assistant.ingest.documents import Section
from assistant.workspace.briefing import build_briefing, file_stem, provenance_line, to_docx, to_markdown
from assistant.workspace.conversations import Turn


def citation(n: int, sid: str, title: str, page: int | None = None) -> dict:
    return {"n": n, "section_id": sid, "title": title, "path": ["1 Leadership", title],
            "source": "guide.pdf" if page else "guide.md", "page": page, "page_end": page, "quote": "q"}


def turn(i: int, question: str, text: str, *citations: dict) -> Turn:
    return Turn(i, "c" * 32, i, question, {"answer": text, "citations": list(citations)}, "2026-01-01")


TURNS = [
    turn(1, "Who leads?", "A chief digital officer [1]. A champion helps [2].",
         citation(1, "cdo", "1.1 A chief digital officer", page=4), citation(2, "champ", "1.2 A champion")),
    turn(2, "And the champion?", "An elected member [1]. Reports to the leader [2].",
         citation(1, "champ", "1.2 A champion"), citation(2, "board", "1.3 A board")),
]


def test_references_are_numbered_once_across_answers():
    b = build_briefing("", "", TURNS, date="1 May 2026")
    assert b.title == "Briefing note"
    assert [r.n for r in b.references] == [1, 2, 3]
    assert b.references[0].text == "1 Leadership › 1.1 A chief digital officer — guide.pdf, p. 4"
    assert b.items[0].answer == "A chief digital officer [1]. A champion helps [2]."
    assert b.items[1].answer == "An elected member [2]. Reports to the leader [3]."


def test_docx_reads_back_as_a_briefing_note():
    sections = [Section("a", "My guide", ("My guide",), "guide.md", "intro", 0),
                Section("b", "1 Leadership", ("My guide", "1 Leadership"), "guide.md", "x", 1)]
    provenance = provenance_line(sections, "gen-1", "2026-05-01T10:00:00Z", "all-MiniLM-L6-v2")
    b = build_briefing("Digital\x07 leadership", "Check with legal.\n\nSecond note.", TURNS, provenance,
                       date="1 May 2026")
    doc = Document(io.BytesIO(to_docx(b)))
    text = [p.text for p in doc.paragraphs]
    assert text[:2] == ["Digital leadership", "1 May 2026"]
    assert text[text.index("Officer notes") + 1:text.index("Officer notes") + 3] == [
        "Check with legal.", "Second note."]
    assert "1. Who leads?" in text and "2. And the champion?" in text
    refs = text[text.index("References") + 1:]
    assert refs[:3] == ["[1] 1 Leadership › 1.1 A chief digital officer — guide.pdf, p. 4",
                        "[2] 1 Leadership › 1.2 A champion — guide.md",
                        "[3] 1 Leadership › 1.3 A board — guide.md"]
    assert refs[3].startswith("Prepared from: My guide (guide.md). Index gen-1, built 2026-05-01")
    assert doc.core_properties.title == "Digital leadership"


def test_markdown_export_keeps_hostile_text_inert():
    hostile = turn(3, "<script>alert(1)</script>", "See [this](javascript:alert(1)) [1].",
                   citation(1, "x", "# not a heading"))
    md = to_markdown(build_briefing("[Click](javascript:x)", "- note", [hostile], "Prepared.",
                                    date="1 May 2026"))
    assert "<script>" not in md and not re.search(r"(?<!\\)\]\(", md)  # no tag, no live link
    assert "\\<script\\>" in md and "\\[this\\]" in md
    assert md.splitlines()[0] == "# \\[Click\\](javascript:x)"
    assert "\\- note" in md
    assert "1\\. 1 Leadership › # not a heading — guide.md" in md  # '#' mid-line is plain text


def test_file_stem_is_safe():
    assert file_stem("Members' briefing: 1/2") == "members-briefing-1-2"
    assert file_stem("../..") == "briefing"
