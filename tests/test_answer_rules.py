"""The extractive answer's rules from the core issue, checked on the mini guide and a generated guide.

Every sentence carries a marker; one section, one number; each quoted sentence really is in the
section it cites; no duplicates; no questions unless the person asked what to ask; at most
`answer_words` words, and about 60 when the guide has that much to say; a quote that leans on the
sentence before it ("That means…") comes with that sentence.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_settings
from guides import write_rich_markdown

from assistant.answer.passages import leans_back as _leans_back
from assistant.answer.pipeline import Answer, Assistant
from assistant.answer.unmentioned import caveat

_MARKER = re.compile(r"\s*\[(\d+)\]")
_QUOTE = re.compile(r".*?\[\d+\][.!?…:]*[\"”’)]*(?:\s+|$)", re.DOTALL)
# The notes an answer may open with: the guide gives no figure or date, or the quoted sections do not
# mention a name in the question (assistant.answer.lacking).
_NOTE = re.compile(
    r"^(?:The guide does not give a .*?closest:|The sections that answer this .*?What they say:)\s*"
)


@pytest.fixture(scope="module")
def rich(tmp_path_factory, embedder) -> Assistant:
    from assistant.ingest.pipeline import ingest

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
    body = answer.answer
    if answer.unmentioned:  # opened by saying what the guide never mentions (assistant.answer.unmentioned)
        assert body.startswith(caveat(answer.unmentioned))
        body = body[len(caveat(answer.unmentioned)):]
    # Each quote ends at its marker and the punctuation after it (the marker goes before the closing
    # punctuation); a quote with no marker would run into the next and fail the checks below.
    body = _NOTE.sub("", body)
    quotes: list[str] = []
    for line in body.strip().splitlines():
        if line.startswith("- "):  # a list item, quoted whole under one marker
            quotes.append(line[2:].strip())
            continue
        found = _QUOTE.findall(line.strip())
        assert "".join(found) == line.strip(), f"text after the last marker: {line!r}"
        quotes += found
    for quote in quotes:
        markers = _MARKER.findall(quote)
        assert len(markers) == 1, f"a sentence needs exactly one marker: {quote!r}"
        pairs.append((_MARKER.sub("", quote).strip(), int(markers[0])))
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


def assert_no_quote_lacks_what_it_leans_on(answer: Answer, pairs: list[tuple[str, int]], index) -> None:
    """A quote opening "That means…" or "However, …" comes straight after the sentence it leans on
    (in the section's sentences as the index holds them)."""
    sections = {c.n: c.section.section_id for c in answer.citations}
    for (before, _), (text, n) in zip([("", 0), *pairs], pairs):
        own = [_same(row[1]) for row in index.sentences([sections[n]])]
        if _same(text) not in own:  # a bullet: a list item's own sentences, in order
            bullets = {_same(_MARKER.sub("", line[2:])) for line in answer.answer.splitlines()
                       if line.startswith("- ")}
            assert _same(text) in bullets, f"{text!r} is neither a sentence of its section nor a bullet"
            continue
        place = own.index(_same(text))
        if place > 0 and _leans_back(text):
            assert own[place - 1] == _same(before), f"{text!r} quoted without what it leans on"


def _same(sentence: str) -> str:
    """A sentence as quoted and as stored compare equal (a list item gains a full stop when quoted)."""
    return " ".join(sentence.split()).rstrip(".").lower()


def test_quotes_keep_what_they_lean_on_across_the_dev_questions(corpus_index, embedder):
    """The shipped guide's prose leans back often ("That means…"); over every dev question none of
    the quoted sentences may lose the sentence it points at."""
    from assistant.evaluation.run import load_questions

    assistant = Assistant(corpus_index, embedder)
    checked = 0
    for q in load_questions(Path(__file__).parent / "eval" / "dev.jsonl"):
        answer = assistant.ask(q.question)
        if not answer.refused:
            pairs = sentences_with_numbers(answer)
            assert_no_quote_lacks_what_it_leans_on(answer, pairs, assistant.index)
            checked += sum(1 for text, _ in pairs if _leans_back(text))
    assert checked >= 10  # the rule was exercised, not vacuously true


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
