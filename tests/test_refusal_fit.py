"""The refusal bar each index fits for itself from questions no guide answers
(assistant.answer.refusal), on the real model and a real index."""

from __future__ import annotations

from assistant.answer.off_topic import BANK
from assistant.answer.pipeline import Assistant
from assistant.answer.refusal import RULE, evidence, index_bar, threshold_from
from assistant.retrieve.index import MIN_RANKED, GuideIndex
from assistant.settings import SETTINGS_HELP


def test_the_bar_sits_at_the_rules_quantile_of_the_banks_evidence(mini_index, embedder):
    index = GuideIndex(mini_index, embedder)
    bar = index_bar(index, embedder)
    scores = [evidence(index.search(q, v, MIN_RANKED)) for q, v in zip(BANK, embedder.encode(list(BANK)))]
    below = sum(s < bar.threshold - RULE.offset for s in scores) / len(scores)
    assert abs(below - RULE.quantile) <= 2 / len(scores)
    assert index_bar(index, embedder) is bar  # fitted once per index
    assert index_bar(index, embedder, override=0.9).threshold == 0.9  # the setting, when given, wins
    index.close()


def test_everyday_council_business_is_refused_as_nearer_the_bank(mini_index, embedder):
    """A question close to the bank's everyday requests is refused even where the guide's talk of
    councils and residents gives it fair similarity; the guide's own question is not."""
    index = GuideIndex(mini_index, embedder)
    bar = index_bar(index, embedder)
    for question, refused in (("How do I report a missed bin collection?", True),
                              ("What is open data and why publish it?", False)):
        vector = embedder.encode([question])[0]
        assert bar.refuses(index.search(question, vector, MIN_RANKED), vector) is refused, question
    index.close()


def test_threshold_from_follows_the_quantile_and_offset():
    scores = [0.1, 0.2, 0.3, 0.4, 0.5]
    low = threshold_from(scores, RULE.__class__(0.0, 0.5, 0.0))
    assert low == 0.3
    assert threshold_from(scores, RULE.__class__(0.0, 0.5, 0.05)) == low + 0.05
    assert threshold_from(scores, RULE.__class__(0.0, 1.0, 0.0)) == 0.5


def test_a_guide_answers_its_own_questions_and_refuses_the_banks_kind(mini_index, embedder):
    assistant = Assistant(mini_index, embedder)
    assert not assistant.ask("Who should own the council's digital plan?").refused
    assert assistant.ask("How do I renew my passport before a holiday?").refused
    assistant.index.close()


def test_the_top_k_help_names_the_minimum_searches_return():
    assert f"fewer than {MIN_RANKED}." in SETTINGS_HELP["top_k"]
