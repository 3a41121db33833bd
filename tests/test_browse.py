"""Finding one's way round a guide, escaping guide text, and the answer-streaming seam."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from assistant.answer.pipeline import Assistant
from assistant.answer.streaming import answer_modes, answer_stream, words_of
from assistant.ingest.documents import SourceFile, read_sections, sections_from_blocks
from assistant.ingest.formats.blocks import Block
from assistant.workspace.browse import (
    glossary_lookup,
    passage,
    question_about,
    related,
    search_sections,
    starter_questions,
    subsections,
)
from assistant.workspace.safe_text import escape_markdown, strip_control, unescape_markdown

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def guide(*blocks: tuple[int, str]):
    return sections_from_blocks([Block(text, level) for level, text in blocks], "g.md")


HOUSING = guide((1, "Housing handbook"), (0, "Intro."), (2, "1 Repairs"), (0, "Report repairs online."),
                (2, "2 Rent"), (0, "Rent is due monthly."), (2, "3 Moving home"), (0, "Tell us first."),
                (2, "Glossary"), (0, "Tenancy: the agreement to rent a home."),
                (0, "Arrears: rent that is owed, including tenancy charges."))


def test_starter_questions_come_from_the_chapters_of_any_guide():
    assert starter_questions(HOUSING) == [
        "What does the guide say about repairs?", "What does the guide say about rent?",
        "What does the guide say about moving home?"]
    assert question_about("4.2 API standards") == "What does the guide say about API standards?"


def test_suggested_questions_fit_the_kind_of_section():
    entry = ("Housing handbook", "Glossary", "Tenancy")
    assert question_about("Tenancy", entry) == "What does “Tenancy” mean?"
    asking = ("5 Questions to ask", "5.1 Questions about repairs")
    assert question_about("5.1 Questions about repairs", asking) == "What should I ask about repairs?"
    assert question_about("2.3 Who pays for repairs?") == "Who pays for repairs?"
    assert question_about("2.3 Paying for repairs", ("2 Rent", "2.3 Paying for repairs")) == (
        "What does the guide say about paying for repairs?")


def test_glossary_lookup_in_both_layouts():
    found = glossary_lookup(HOUSING, "tenancy")
    assert [d.term for d in found] == ["Tenancy", "Arrears"]  # the entry first, then a mention
    file = SourceFile(CORPUS / "council-of-the-future-companion.md", "companion.md")
    sections = read_sections(file)  # one sub-heading per term
    assert glossary_lookup(sections, "api")[0].term == "API"
    assert glossary_lookup(sections, "zzzz") == []


def test_search_prefers_titles_and_needs_every_word():
    assert [s.title for s in search_sections(HOUSING, "rent")][:1] == ["2 Rent"]
    assert search_sections(HOUSING, "rent monthly")[0].title == "2 Rent"
    assert search_sections(HOUSING, "rent spaceship") == []
    assert search_sections(HOUSING, "  ") == []


def test_related_skips_what_the_answer_cited():
    by_id = {s.section_id: s for s in HOUSING}
    ids = [s.section_id for s in HOUSING]
    answer = {"citations": [{"section_id": ids[1]}],
              "retrieved": [{"section_id": i} for i in [ids[1], ids[2], "gone", ids[2], ids[3], ids[4]]]}
    assert [s.section_id for s in related(answer, by_id, count=3)] == [ids[2], ids[3], ids[4]]


def test_passage_flags_the_quoted_sentences():
    section = guide((1, "T"), (0, "One is here. Two is there."), (0, "Three follows."))[0]
    assert passage(section, "Two is there. Three follows.") == [
        [("One is here.", False), ("Two is there.", True)], [("Three follows.", True)]]


@given(st.text())
def test_escaped_text_round_trips_and_has_no_live_markup(text):
    escaped = escape_markdown(text)
    assert unescape_markdown(escaped) == strip_control(text)
    for active in ("<", "[", "]", "(", ":", "`", "*", "$", "!"):
        assert escaped.count(active) == escaped.count("\\" + active)


@given(st.text(alphabet=st.characters(blacklist_categories=["Cc"])))
def test_pieces_join_back_and_escape_piece_by_piece(text):
    pieces = list(words_of(text))
    assert "".join(pieces) == text
    assert "".join(escape_markdown(p) for p in pieces) == escape_markdown(text)


def test_answer_stream_gives_the_words_then_the_answer(mini_index, embedder):
    assistant = Assistant(mini_index, embedder)
    assert answer_modes(assistant) == ["extractive"]
    stream = answer_stream(assistant, "What is open data?", (), mode="llm")  # no model: extractive
    pieces = list(stream.pieces())
    answer = stream.result()
    assert len(pieces) > 5 and "".join(pieces) == answer.answer
    assert answer.mode == "extractive" and answer.citations


def test_subsections_are_the_children_in_order():
    sections = guide((1, "A"), (0, "a"), (2, "A.1"), (0, "b"), (3, "A.1.1"), (0, "c"), (2, "A.2"),
                     (0, "d"), (1, "B"), (0, "e"))
    by_title = {s.title: s for s in sections}
    assert [s.title for s in subsections(sections, by_title["A"])] == ["A.1", "A.2"]
    assert [s.title for s in subsections(sections, by_title["A.1"])] == ["A.1.1"]
    assert subsections(sections, by_title["B"]) == []
