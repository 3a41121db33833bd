"""Briefing notes: what goes in and in what order, merging, Word on A4 rendered by LibreOffice, Markdown,
and `assistant brief` on a real index."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm
from pypdf import PdfReader

from assistant.cli import main as cli
from assistant.ingest.documents import Section
from assistant.workspace.briefing import build_briefing, file_stem, source_line, to_markdown
from assistant.workspace.briefing_export import save, to_docx
from assistant.workspace.conversations import Turn

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
A4_POINTS = (595.3, 841.9)


def citation(n: int, sid: str, title: str, page: int | None = None) -> dict:
    return {"n": n, "section_id": sid, "title": title, "path": ["1 Leadership", title],
            "source": "guide.pdf" if page else "guide.md", "page": page, "page_end": page, "quote": "q"}


def turn(i: int, question: str, text: str, *citations: dict, standalone: str | None = None,
         refused: bool = False) -> Turn:
    answer = {"answer": text, "citations": list(citations), "standalone_question": standalone,
              "refused": refused}
    return Turn(i, "c" * 32, i, question, answer, "2026-01-01")


SECTIONS = [Section("a", "My guide", ("My guide",), "guide.md", "intro", 0),
            Section("b", "1 Leadership", ("My guide", "1 Leadership"), "guide.md", "x", 1)]
TURNS = [
    turn(1, "Who leads digital change?", "A chief digital officer leads it [1]. A champion helps [2].",
         citation(1, "cdo", "1.1 A chief digital officer", page=4), citation(2, "champ", "1.2 A champion")),
    turn(2, "Who should we work with on that?",
         "Work with schools and libraries [1]. The council also keeps a phone line [2].",
         citation(1, "champ", "1.2 A champion"), citation(2, "board", "1.3 A board"),
         standalone="Who should we work with on digital change?"),
    # The same question in other words, answered from the same section: merged into the first.
    turn(3, "Who should lead the digital change?", "A chief digital officer leads it [1].",
         citation(1, "cdo", "1.1 A chief digital officer", page=4)),
    turn(4, "What is the best recipe for cake?", "The guide does not say.", refused=True),
]


def note(**changes):
    options = {"title": "Digital leadership", "notes": "Check with legal.\n\nSecond note.",
               "turns": TURNS, "source": source_line(SECTIONS), "date": "1 May 2026", "guide": "My guide"}
    return build_briefing(**{**options, **changes})


def test_questions_stand_alone_duplicates_merge_and_references_number_once():
    b = note()
    assert [i.question for i in b.answered] == ["Who leads digital change?",
                                                 "Who should we work with on digital change?"]
    assert b.answered[0].asked_as == ["Who should lead the digital change?"]
    assert [i.question for i in b.not_covered] == ["What is the best recipe for cake?"]
    assert [r.n for r in b.references] == [1, 2, 3]
    assert b.references[0].text == "1 Leadership › 1.1 A chief digital officer — guide.pdf, p. 4"
    assert b.answered[1].answer == ("Work with schools and libraries [2]. "
                                    "The council also keeps a phone line [3].")
    assert b.purpose == "To set out what “My guide” says on the 3 questions raised, with references to check."
    assert "gen-" not in b.source and "model" not in b.source.lower()


def test_same_words_about_another_subject_are_not_merged():
    again = turn(5, "Who leads digital change?", "Members lead through the cabinet [1].",
                 citation(1, "cabinet", "2.1 A cabinet portfolio"))
    assert len(note(turns=[TURNS[0], again]).answered) == 2


def test_every_key_point_is_one_cited_line_pointing_into_the_references():
    b = note()
    numbers = {r.n for r in b.references}
    for item in b.answered:
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", item.key_point)}
        assert markers and markers <= numbers and "\n" not in item.key_point
    uncited = turn(6, "What is a board?", "A board is a group of partners.\nIt meets monthly [1].",
                   citation(1, "board", "1.3 A board"))
    assert note(turns=[uncited]).answered[0].key_point == "A board is a group of partners. [1]"


def test_docx_is_an_a4_note_in_order_with_word_styles():
    doc = Document(io.BytesIO(to_docx(note())))
    section = doc.sections[0]
    assert (abs(section.page_width - Mm(210)) < Mm(1), abs(section.page_height - Mm(297)) < Mm(1)) == (
        True, True)
    styled = [(p.style.name, p.text) for p in doc.paragraphs if p.text]
    assert styled[0] == ("Title", "Digital leadership")
    assert styled[1][1] == "Date: 1 May 2026" and styled[2][1].startswith("Purpose: To set out")
    headings = [text for style, text in styled if style == "Heading 1"]
    assert headings == ["Key points", "Questions and answers", "Officer's notes", "Not covered by the guide",
                        "References"]
    key_points = styled[styled.index(("Heading 1", "Key points")) + 1:
                        styled.index(("Heading 1", "Questions and answers"))]
    assert [style for style, _ in key_points] == ["List Bullet", "List Bullet"]
    assert key_points[0][1].startswith("Who leads digital change? A chief digital officer leads it [1].")
    assert [text for style, text in styled if style == "Heading 2"] == [
        "1. Who leads digital change?", "2. Who should we work with on digital change?"]
    assert ("Normal", "Also asked as: Who should lead the digital change?") in styled
    refs = [text for _, text in styled[styled.index(("Heading 1", "References")) + 1:]]
    assert refs[:3] == ["[1] 1 Leadership › 1.1 A chief digital officer — guide.pdf, p. 4",
                        "[2] 1 Leadership › 1.2 A champion — guide.md",
                        "[3] 1 Leadership › 1.3 A board — guide.md"]
    assert refs[3].startswith("Source: My guide (guide.md).")
    assert doc.styles["Normal"].font.name == "Arial"
    assert "page" in doc.sections[0].footer.paragraphs[0].text


def test_libreoffice_renders_the_note_on_a4(tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    docx_path = tmp_path / "note.docx"
    save(note(), docx_path)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx_path)],
                   check=True, capture_output=True, timeout=180)
    pdf = PdfReader(str(tmp_path / "note.pdf"))
    for page in pdf.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4_POINTS, abs=1), size
    text = " ".join(page.extract_text() for page in pdf.pages)
    for expected in ("Digital leadership", "Key points", "Who leads digital change?", "References",
                     "1.1 A chief digital officer"):
        assert expected in text
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "note.pdf", ARTIFACTS / "briefing-note.pdf")


def test_markdown_has_the_same_content_and_keeps_hostile_text_inert():
    md = to_markdown(note())
    order = [md.index(h) for h in ("# Digital leadership", "**Purpose:**", "## Key points",
                                   "## Questions and answers", "## Officer's notes",
                                   "## Not covered by the guide", "## References")]
    assert order == sorted(order)
    assert "### 2. Who should we work with on digital change?" in md
    hostile = turn(3, "<script>alert(1)</script>", "See [this](javascript:alert(1)) [1].",
                   citation(1, "x", "# not a heading"))
    md = to_markdown(build_briefing("[Click](javascript:x)", "- note", [hostile], "Source.",
                                    date="1 May 2026"))
    assert "<script>" not in md and not re.search(r"(?<!\\)\]\(", md)  # no tag, no live link
    assert "\\<script\\>" in md and "\\[this\\]" in md
    assert md.splitlines()[0] == "# \\[Click\\](javascript:x)"
    assert "\\- note" in md
    assert "1\\. 1 Leadership › # not a heading — guide.md" in md  # '#' mid-line is plain text


def test_list_items_stay_a_list():
    listed = turn(7, "What does a board do?",
                  "A board has three tasks [1]:\n- set a vision\n- hold to account",
                  citation(1, "board", "1.3 A board"))
    b = note(turns=[listed])
    doc = Document(io.BytesIO(to_docx(b)))
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert bullets[-2:] == ["set a vision", "hold to account"]
    assert "- set a vision\n- hold to account" in to_markdown(b)


def test_file_stem_is_safe():
    assert file_stem("Members' briefing: 1/2") == "members-briefing-1-2"
    assert file_stem("../..") == "briefing"


# --- assistant brief ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def reuse_model(cli_model):
    """The brief commands below run in-process on the session's model."""


@pytest.mark.parametrize("args, message", [
    ([], "Give at least one question"),
    (["What is open data?"], "Say where to write the note with --out"),
    (["What is open data?", "--out", "{tmp}/note.pdf"], "must be a .docx or .md file, not note.pdf"),
    (["What is open data?", "--out", "{tmp}/missing/note.md"], "does not exist"),
    (["What is open data?", "   ", "--out", "{tmp}/note.md"], "Question 2: Please type a question"),
])
def test_brief_bad_input_is_one_sentence_and_writes_nothing(capsys, tmp_path, mini_index, args, message):
    argv = ["brief", *[a.format(tmp=tmp_path) for a in args], "--index", str(mini_index.index)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0 and err.endswith(".")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_brief_writes_the_same_note_as_the_app_would(capsys, tmp_path, mini_index):
    questions = ["Who should lead digital change at the council?", "What is open data and who can use it?",
                 "What is the best recipe for chocolate cake?"]
    for suffix in (".md", ".docx"):
        out = tmp_path / f"note{suffix}"
        code = cli.main(["brief", *questions, "--out", str(out), "--title", "Members' briefing",
                         "--notes", "For Monday.", "--index", str(mini_index.index)])
        assert code == 0, capsys.readouterr().err
        assert "1 the guide does not cover" in capsys.readouterr().out
    md = (tmp_path / "note.md").read_text(encoding="utf-8")
    key_points = md.split("## Key points")[1].split("##")[0].strip().splitlines()
    assert len(key_points) == 2 and all(re.search(r"\\\[\d+\\\]", line) for line in key_points)
    assert "mini-guide.md" in md.split("## References")[1]
    assert "chocolate cake" in md.split("## Not covered by the guide")[1]
    assert not re.search(r"gen-|MiniLM|embedding", md)
    doc = Document(str(tmp_path / "note.docx"))
    assert [p.text for p in doc.paragraphs][0] == "Members' briefing"
    assert sum(p.style.name == "Heading 2" for p in doc.paragraphs) == 2
