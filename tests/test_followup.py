"""Follow-ups decided by evidence: scripted conversations over the companion guide, a floor on how
often the last question is answered from the expected section, and the CLI's `--previous` replay."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.answer.pipeline import Assistant
from assistant.cli import main as cli
from assistant.retrieve.followup import Reading, choose, points_back, readings

CONVERSATIONS = Path(__file__).parent / "eval" / "conversations.jsonl"
# 24 of 25 reach the expected section first (docs/answers.md); the one miss is a retrieval miss of
# the question on its own, not a follow-up decision.
FLOOR = 0.88


def _conversations() -> list[dict]:
    return [json.loads(line) for line in CONVERSATIONS.read_text(encoding="utf-8").splitlines() if line]


def _answers_from(section, expected: list[str]) -> bool:
    return section.title in expected or any(part in expected for part in section.path)


@pytest.fixture(scope="module")
def assistant(corpus_index, embedder) -> Assistant:
    return Assistant(corpus_index, embedder)


def test_the_conversation_set_covers_each_kind_of_turn():
    kinds = [c["kind"] for c in _conversations()]
    assert len(kinds) >= 20
    for kind in ("topic_change", "short_standalone", "pronoun_one_back", "pronoun_two_back", "elliptic"):
        assert kinds.count(kind) >= 3, kind
    assert all(len(c["turns"]) >= 2 and c["expected"] for c in _conversations())


def test_scripted_conversations_reach_the_expected_section(assistant):
    hits, misses = 0, []
    for conversation in _conversations():
        *earlier, question = conversation["turns"]
        answer = assistant.ask(question, [(q, "") for q in earlier])
        if _answers_from(answer.hits[0].section, conversation["expected"]):
            hits += 1
        else:
            misses.append(conversation["id"])
        # "Searched as …" appears exactly when the conversation changed what was searched.
        if conversation["kind"] in ("topic_change", "short_standalone"):
            assert answer.standalone_question is None, conversation["id"]
        else:
            assert answer.standalone_question and question in answer.standalone_question, conversation["id"]
    assert hits / len(_conversations()) >= FLOOR, misses


def test_a_pronoun_two_turns_back_finds_its_subject(assistant):
    history = [("What is a chief digital officer?", ""), ("Where does the idea come from?", "")]
    answer = assistant.ask("Can a small council share one?", history)
    assert answer.standalone_question.startswith("What is a chief digital officer?")
    assert answer.hits[0].section.title == "2.3 A chief digital officer"


def test_a_short_new_question_is_not_joined_to_the_last_one(assistant):
    history = [("What should a new councillor do in their first 100 days?", "")]
    answer = assistant.ask("What is a chief digital officer?", history)
    assert answer.standalone_question is None
    assert "chief digital officer" in answer.hits[0].section.title.lower()
    alone = assistant.ask("What is a chief digital officer?")
    assert answer.answer == alone.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who sits on it?", True),
        ("What about suppliers?", True),
        ("And days 61 to 100?", True),
        ("What should I do about that on my phone?", True),
        ("Can a small council share one?", True),
        ("Is there a law on open data?", False),
        ("What is a chief digital officer?", False),
        ("Who should lead digital change so that services improve?", False),
        ("How do councils publish one dataset a month?", False),
    ],
)
def test_pointing_back_is_read_from_the_words(question, expected):
    assert points_back(question) is expected


def test_readings_reach_three_turns_back_and_no_further():
    history = [(f"Question number {i}?", "") for i in range(5)]
    found = readings("Who runs it?", history)
    assert found[0] == Reading("Who runs it?", False)
    assert [r.query.split("?")[0] for r in found[1:4]] == ["Question number 4", "Question number 3",
                                                             "Question number 2"]
    assert found[4].query == "Question number 3? Question number 4? Who runs it?"
    assert not any("number 1" in r.query for r in found)


def test_choose_weighs_support_against_the_kind_of_question():
    alone, context = Reading("q", False, 0.50), Reading("p q", True, 0.52)
    assert choose("What is lock-in?", [alone, Reading("p q", True, 0.9)], 0.235) == alone
    assert choose("Who sits on it?", [alone, context], 0.235) == context
    assert choose("Who sits on it?", [alone, Reading("p q", True, 0.40)], 0.235) == alone
    weak = Reading("q", False, 0.1)
    assert choose("Why keep phone lines?", [weak, context], 0.235) == context


def test_cli_replays_a_conversation_with_previous(corpus_index, cli_model, capsys, monkeypatch, assistant):
    for name in [k for k in os.environ if k.startswith("ASSISTANT_")]:
        monkeypatch.delenv(name)
    argv = ["ask", "Who sits on it?", "--previous", "What is open data?",
            "--previous", "What is a digital board?", "--json", "--index", str(corpus_index.index)]
    assert cli.main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["standalone_question"] == "What is a digital board? Who sits on it?"
    # The app passes the same history; the answer is the same one.
    history = [("What is open data?", ""), ("What is a digital board?", "")]
    assert data["answer"] == assistant.ask("Who sits on it?", history).answer
    assert cli.main(["ask", "Who sits on it?", "--previous", " ", "--index", str(corpus_index.index)]) == 2
    assert "question" in capsys.readouterr().err.lower()
