"""Answers shaped by the question: key-point recall against a plain RAG's top chunk, no shape faults,
and the rules behind them (kinds of question, lists as bullets, saying first what is missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.lacking import lacking
from assistant.answer.passages import about_the_text, leans_back, list_structure, points_forward
from assistant.answer.pipeline import Assistant
from assistant.answer.question_kinds import Kind, gives, parts
from assistant.evaluation.answer_shape import shape_faults
from assistant.evaluation.answers import load, score

ANSWERS = Path(__file__).parent / "eval" / "answers.jsonl"
# bench/answers.py measured 0.647 against 0.448 for the top chunk (docs/answers.md): floors a little
# under, so a change that loses ground fails here.
RECALL_FLOOR = 0.63
LEAD_OVER_TOP_CHUNK = 0.15


@pytest.fixture(scope="module")
def assistant(corpus_index, embedder) -> Assistant:
    return Assistant(corpus_index, embedder)


@pytest.fixture(scope="module")
def scored(assistant):
    return score(assistant, load(ANSWERS))


def test_the_answer_set_is_big_enough_and_its_key_points_are_in_the_gold_sections(assistant):
    questions = load(ANSWERS)
    assert len(questions) >= 40
    by_title = {s.title: s.text.lower() for s in assistant.index.sections.values()}
    for q in questions:
        assert 2 <= len(q.key_points) <= 4, q.id
        gold_text = " ".join(by_title[g] for g in q.gold)
        for point in q.key_points:
            assert point.lower() in gold_text, (q.id, point)


def test_key_point_recall_beats_the_top_chunk(scored):
    recall = sum(s.recall for s in scored) / len(scored)
    top_chunk = sum(s.top_chunk_recall for s in scored) / len(scored)
    assert recall >= RECALL_FLOOR
    assert recall - top_chunk >= LEAD_OVER_TOP_CHUNK


def test_no_answer_has_a_shape_fault(scored):
    faults = [(s.question.id, f) for s in scored for f in s.faults]
    assert faults == []


def test_a_two_part_question_gets_both_parts(assistant):
    answer = assistant.ask("What is a CDO and do we need one?").answer
    assert "senior officer" in answer
    assert "report to the chief executive" in answer or "clear ownership" in answer


def test_list_items_come_as_cited_bullets_never_as_prose(assistant):
    answer = assistant.ask("What kinds of technology supplier are there?").answer
    bullets = [line for line in answer.splitlines() if line.startswith("- ")]
    assert len(bullets) >= 3 and all(line.rstrip().endswith("].") for line in bullets)
    prose = " ".join(line for line in answer.splitlines() if not line.startswith("- "))
    assert "Start-ups, young firms" not in prose


def test_a_figure_the_guide_lacks_is_said_first(assistant):
    answer = assistant.ask("How much should we pay a CDO?").answer
    assert answer.startswith("The guide does not give a figure")
    plain = assistant.ask("What is a chief digital officer?").answer
    assert "does not give" not in plain


def test_a_name_only_mentioned_elsewhere_is_said_first(assistant):
    answer = assistant.ask("How can we share data with the NHS safely?").answer
    assert answer.startswith("The sections that answer this do not mention “NHS”")


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("What is a CDO and do we need one?", [Kind.WHAT_IS, Kind.SHOULD]),
        ("Should we webcast meetings?", [Kind.SHOULD]),
        ("How should we buy technology?", [Kind.HOW]),
        ("Who sits on a digital board?", [Kind.WHO]),
        ("Why does digital belong in the cabinet?", [Kind.WHY]),
        ("What questions should I ask about security?", [Kind.ASK]),
        ("What is lock-in and how do we avoid it?", [Kind.WHAT_IS, Kind.HOW]),
    ],
)
def test_the_kind_of_answer_is_read_from_the_question(question, kinds):
    assert [p.kind for p in parts(question)] == kinds


def test_sentences_are_matched_to_the_kind_asked_for():
    assert gives(Kind.WHAT_IS, "Lock-in means it is too hard or costly to leave a supplier.")
    assert gives(Kind.WHY, "It matters because every service depends on it.")
    assert not gives(Kind.WHY, "The board met on Tuesday.")


def test_the_shape_checker_finds_each_kind_of_fault():
    opening = shape_faults("That means councillors must understand digital [1].")
    assert opening[0].startswith("dangling opening")
    assert shape_faults("In general, using data well looks like this [1].")[0].startswith("dangling ending")
    assert shape_faults("Only one report says this, so we keep it short [1].")[0].startswith("about the text")
    repeated = "Councils hold a lot of personal data [1]. Councils hold a lot of personal data too [2]."
    assert shape_faults(repeated)[0].startswith("repeat")
    item = "Start-ups, young firms with new ideas that may not yet be proven."
    assert shape_faults(f"{item[:-1]} [1].", list_items=[item])[0].startswith("fragment")
    good = "The market has several parts [1]:\n- Large suppliers [1].\n- Start-ups, young firms [1]."
    assert shape_faults(good) == []


def test_sentence_roles_are_read_from_their_wording():
    assert leans_back("However, the board disagreed.") and not leans_back("However good it is, it fails.")
    assert not leans_back("It's natural to feel timid about sharing drafts.")
    assert points_forward("Good practice looks like this.") and points_forward("You should:")
    assert about_the_text("The rest of this section is general background.")
    assert not about_the_text("A council should publish this data every month.")


def test_lists_are_read_from_the_section_layout():
    text = ("The market has several parts:\n\nLarge firms that sell big systems.\n\nSmall firms.\n\n"
            "How councils pay has also changed a great deal over the last ten years, as products move "
            "to the cloud and fees replace licences, and as suppliers run the systems for councils.")
    items = list_structure(text)
    assert items == {1: (0, 1), 2: (0, 2)}
    labelled = ("Some advice.\n\nBuy outcomes. Describe the problem.\n\nTalk early. Ask the market.\n\n"
                "Avoid lock-in. Insist on open standards.")
    assert set(list_structure(labelled)) == {1, 2, 3, 4, 5, 6}


def test_lacking_reads_what_is_asked_for():
    assert lacking("How much should we pay a CDO?", ["A CDO is a senior officer."]) == "figure"
    assert lacking("How much should we pay a CDO?", ["Pay is about £90,000."]) is None
    assert lacking("When was the guide launched?", ["It came out in August 2018."]) is None
    assert lacking("When we replace laptops, what matters?", ["Start with user needs."]) is None
