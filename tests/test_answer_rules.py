"""The extractive answer's rules from the core issue, checked on the mini guide and a generated guide.

Every sentence carries a marker; one section, one number; each quoted sentence really is in the
section it cites; no duplicates; no questions unless the person asked what to ask; at most
`answer_words` words, and about 60 when the guide has that much to say.
"""

from __future__ import annotations

import re

import pytest
from conftest import make_settings
from guides import write_rich_markdown

from assistant.chain import Answer, Assistant
from assistant.sentences import split_sentences

_MARKER = re.compile(r"\s*\[(\d+)\]")


@pytest.fixture(scope="module")
def rich(tmp_path_factory, embedder) -> Assistant:
    from assistant.ingest import ingest

    root = tmp_path_factory.mktemp("rich")
    settings = make_settings(root / "index")
    ingest([write_rich_markdown(root / "services.md")], settings, embedder)
    return Assistant(settings, embedder)


@pytest.fixture(scope="module")
def mini(mini_index, embedder) -> Assistant:
    return Assistant(mini_index, embedder)


def sentences_with_numbers(answer: Answer) -> list[tuple[str, int]]:
    """Each sentence of the answer with its marker's number removed and returned."""
    pairs = []
    for sentence in split_sentences(answer.answer):
        markers = _MARKER.findall(sentence)
        assert len(markers) == 1, f"a sentence needs exactly one marker: {sentence!r}"
        pairs.append((_MARKER.sub("", sentence).strip(), int(markers[0])))
    return pairs


def assert_rules(answer: Answer, asks_for_questions: bool = False) -> list[tuple[str, int]]:
    assert not answer.refused, answer.answer
    pairs = sentences_with_numbers(answer)
    by_number = {c.n: c for c in answer.citations}
    assert sorted(by_number) == list(range(1, len(by_number) + 1))
    assert {n for _, n in pairs} == set(by_number)  # every citation used, every marker cited
    assert len({c.section.section_id for c in answer.citations}) == len(by_number)
    texts = [text for text, _ in pairs]
    assert len(texts) == len({t.lower() for t in texts}), "a sentence appears twice"
    for text, n in pairs:
        section_text = re.sub(r"\s+", " ", by_number[n].section.text)
        # Quoted, not invented: the sentence is in the section it cites (its first letter may be
        # capitalised).
        assert text in section_text or text[:1].lower() + text[1:] in section_text, text
        if not asks_for_questions:
            assert not text.endswith("?"), f"a question in an answer to a statement: {text!r}"
    assert len(_MARKER.sub("", answer.answer).split()) <= 150  # the default `answer_words`
    return pairs


MINI_QUESTIONS = [
    "Who should lead digital change in a council?",
    "What is open data?",
    "How can a council help residents who are not online?",
    "What does a digital champion do?",
]

RICH_QUESTIONS = [
    "How can the council help residents who are not online?",
    "How should a council look after residents' personal data?",
    "What happens if there is a data breach?",
    "What does a digital champion do?",
]


@pytest.mark.parametrize("question", MINI_QUESTIONS)
def test_mini_guide_answers_follow_the_rules(mini, question):
    assert_rules(mini.ask(question))


@pytest.mark.parametrize("question", RICH_QUESTIONS)
def test_generated_guide_answers_follow_the_rules(rich, question):
    assert_rules(rich.ask(question))


def test_questions_appear_only_when_the_person_asks_what_to_ask(rich):
    asked = rich.ask("What questions should I ask about personal data?")
    pairs = assert_rules(asked, asks_for_questions=True)
    assert any(text.endswith("?") for text, _ in pairs)
    # The same topic asked as a plain question: the guide's own questions are left out.
    statement = rich.ask("How should a council protect personal data?")
    assert_rules(statement)
    assert "?" not in statement.answer


@pytest.mark.parametrize(
    "question",
    [
        "How can the council help residents who are not online?",
        "What happens if there is a data breach?",
        "What does a digital champion do?",
    ],
)
def test_answers_run_to_about_sixty_words_when_the_guide_has_enough(rich, question):
    answer = rich.ask(question)
    words = len(_MARKER.sub("", answer.answer).split())
    assert 60 <= words <= 150, answer.answer
