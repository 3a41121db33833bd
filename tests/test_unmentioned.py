"""Names a question uses that the guide never does: found in the question, looked up in a real
index, and said first in both the extractive and the language-model answer."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.pipeline import Assistant, build_chain
from assistant.answer.unmentioned import caveat, question_names, unmentioned, with_caveat
from assistant.llm.chain import LLMAnswerer
from assistant.retrieve.index import GuideIndex

CDO_ELSEWHERE = "Should Kestrel Borough Council appoint a chief digital officer?"


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("How does the Procurement Act 2023 change the rules for buying?", ["Procurement Act 2023"]),
        ("What does the Freedom of Information Act require?", ["Freedom of Information Act"]),
        ("Should we use AI chatbots like ChatGPT?", ["AI", "ChatGPT"]),
        ("Can Hammersmith & Fulham help?", ["Hammersmith & Fulham"]),
        # A question's first word, question words and the speaker are not names.
        ("Broadband is poor here. What can we do?", []),
        ("I'm a backbencher. Isn't that enough?", []),
        ("What's open data?", []),
        # ...but an acronym or a mixed-case word at the start is.
        ("GDPR: what does it ask of us?", ["GDPR"]),
        ("Should Kent County Council appoint one?", ["Kent County Council"]),
        # A capital inside a word is not the start of a name; an apostrophe is not a quote.
        ("When did techUK publish the council's guide?", []),
        ("What does 'digital by default' mean?", ["digital by default"]),
        ("Is Kestrelmoor's plan any good?", ["Kestrelmoor's"]),
        ("Who chairs it, the Leader or the Leader?", ["Leader"]),
    ],
)
def test_names_in_a_question(question, names):
    assert question_names(question) == names


def test_caveat_names_each_thing_and_leaves_an_empty_answer_alone():
    one = caveat(["GDPR"])
    assert one.startswith("The guide does not mention “GDPR”, so it cannot say anything about it")
    assert "“AI” or “ChatGPT”" in caveat(["AI", "ChatGPT"]) and "about them" in caveat(["AI", "ChatGPT"])
    assert with_caveat("Quoted [1].", []) == "Quoted [1]."
    assert with_caveat("", ["GDPR"]) == ""
    assert with_caveat("Quoted [1].", ["GDPR"]).endswith("closest: Quoted [1].")


@pytest.fixture(scope="module")
def index(mini_index, embedder):
    guide = GuideIndex(mini_index, embedder)
    yield guide
    guide.close()


@pytest.mark.parametrize(
    ("name", "used"),
    [
        ("Chief Digital Officers", True),  # any case, any inflection
        ("Open Data", True),
        ("IT", True),  # stop words only: no way to tell, so never claimed absent
        ("Officer Digital Chief", False),  # the words are there, but not in that order
        ("Leadership Inclusion", False),  # both words are used, never together
        ("Freedom of Information Act", False),
        ("Kestrel", False),
    ],
)
def test_the_index_knows_which_names_the_guide_uses(index, name, used):
    assert index.mentions(name) is used


def test_only_the_absent_names_are_reported(index):
    question = "Would a chief digital officer in Kestrel Borough Council publish Open Data?"
    assert question_names(question) == ["Kestrel Borough Council", "Open Data"]
    assert unmentioned(question, index.mentions) == ["Kestrel Borough Council"]


@pytest.fixture(scope="module")
def assistant(mini_index, embedder, index):
    return Assistant(mini_index, embedder)


def test_an_answer_first_says_what_the_guide_never_mentions(assistant):
    answer = assistant.ask(CDO_ELSEWHERE)
    assert not answer.refused and answer.citations
    assert answer.unmentioned == ["Kestrel Borough Council"]
    assert answer.answer.startswith("The guide does not mention “Kestrel Borough Council”")
    assert answer.to_json()["unmentioned"] == ["Kestrel Borough Council"]
    # What follows is still the guide's own cited material on the subject.
    assert "[1]" in answer.answer and answer.citations[0].section.title == "1.1 A chief digital officer"


def test_no_caveat_when_every_name_is_in_the_guide_or_the_answer_is_a_refusal(assistant):
    plain = assistant.ask("What does a Chief Digital Officer do?")
    assert not plain.refused and plain.unmentioned == []
    assert not plain.answer.startswith("The guide does not mention")
    refused = assistant.ask("Who won the Premier League last season?")
    assert refused.refused and refused.unmentioned == []
    assert refused.answer.startswith("The guide does not say")


def test_a_follow_up_is_judged_on_its_own_words(assistant):
    history = [(CDO_ELSEWHERE, assistant.ask(CDO_ELSEWHERE).answer)]
    follow_up = assistant.ask("And what would they do about open data?", history)
    assert not follow_up.refused and follow_up.unmentioned == []


def test_the_language_model_answer_opens_with_the_same_caveat(mini_index, embedder, index):
    settings = mini_index.replace(llm="openai", llm_model="fake")
    model = FakeListChatModel(responses=["A chief digital officer owns the digital plan [1]."])
    answerer = LLMAnswerer(settings, embedder, index, model, build_chain(settings, embedder, index))
    answer = answerer.ask(CDO_ELSEWHERE)
    assert answer.mode == "llm" and not answer.refused
    assert answer.answer == with_caveat("A chief digital officer owns the digital plan [1].",
                                        ["Kestrel Borough Council"])
    assert answer.unmentioned == ["Kestrel Borough Council"] and len(answer.citations) == 1
