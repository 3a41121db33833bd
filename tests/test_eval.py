"""`assistant eval`: heading matching, the figures on known rankings, the JSON contract, and the
quality floor on the holdout questions that keeps retrieval from silently getting worse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer.pipeline import Assistant
from assistant.cli.main import main
from assistant.errors import UsageError
from assistant.evaluation.metrics import (
    bootstrap_interval,
    gold_ranks,
    percentile,
    question_scores,
    retrieval_scores,
    section_matches,
)
from assistant.evaluation.run import evaluate, format_table, load_questions

HOLDOUT = Path(__file__).parent / "eval" / "holdout.jsonl"

# Just under the figures the shipped values give the holdout split (docs/quality.md: Recall@3 0.884,
# MRR@10 0.794, 100% of out-of-scope refused, none of in-scope; values chosen over five documents
# cost the companion 0.035 of Recall@3): about one question of slack each, so a real regression
# fails while a tie broken the other way does not.
FLOORS = {"recall@3": 0.86, "mrr@10": 0.77, "out_of_scope_refused": 0.88, "in_scope_wrongly_refused": 0.05}


def _section(title: str, *parents: str) -> dict:
    return {"title": title, "path": [*parents, title]}


def test_headings_match_ignoring_case_and_runs_of_whitespace():
    section = _section("2.1  Open data", "2 Data")
    assert section_matches(section, ["2.1 open\tDATA"])
    assert section_matches(section, [" 2   data "])  # a heading on its path counts
    assert not section_matches(section, ["2.1 Open"])
    assert not section_matches(section, [])


def test_figures_on_known_rankings():
    ranked = [_section("A"), _section("B", "P"), _section("C")]
    assert gold_ranks(ranked, ["b", "C", "missing"]) == [2, 3, None]
    scores = retrieval_scores([[1], [3], [None], [2, None], [11]])
    assert scores["n"] == 5
    assert scores["recall@1"] == pytest.approx(1 / 5)
    assert scores["recall@3"] == pytest.approx((1 + 1 + 0.5) / 5)
    assert scores["recall@5"] == pytest.approx((1 + 1 + 0.5) / 5)
    # Rank 11 is past MRR@10's cut-off and counts 0.
    assert scores["mrr@10"] == pytest.approx(round((1 + 1 / 3 + 1 / 2) / 5, 4))
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([5], 95) == 5


def test_bootstrap_intervals_are_steady_and_paired():
    assert question_scores([[1], [3], [None]])["recall@3"] == [1.0, 1.0, 0.0]
    assert question_scores([[2], [11]])["mrr@10"] == [0.5, 0.0]
    assert bootstrap_interval([0.5] * 20) == (0.5, 0.5)
    half = [0.0] * 20 + [1.0] * 20
    low, high = bootstrap_interval(half)
    assert 0.25 < low < 0.5 < high < 0.75
    assert bootstrap_interval(half) == (low, high)  # seeded: the same records, the same interval
    # Paired: the same questions answered alike leave no lead, however spread the scores.
    assert bootstrap_interval(half, half) == (0.0, 0.0)
    assert bootstrap_interval([1.0] * 40, half) == (1 - high, 1 - low)
    with pytest.raises(ValueError):
        bootstrap_interval([1.0, 0.0], [1.0])


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


MINI_QUESTIONS = [
    {"id": "q1", "question": "What is open data?", "gold": ["2.1   OPEN data"], "kind": "keyword"},
    {"id": "q2", "question": "Who should own the council's digital plan?",
     "gold": ["1.1 A chief digital officer", "1 Leadership"], "kind": "paraphrase"},
    {"id": "q3", "question": "Who won the Premier League last season?", "gold": [], "kind": "out_of_scope"},
]


def test_eval_command_json_shape_and_figures_recomputable(mini_index, tmp_path, capsys):
    questions = _write(tmp_path / "mini.jsonl", MINI_QUESTIONS)
    code = main(["eval", str(questions), "--index", str(mini_index.index), "--json", "--k", "5"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"records", "metrics"}
    records, metrics = result["records"], result["metrics"]
    assert [r["id"] for r in records] == ["q1", "q2", "q3"]
    for record in records:
        assert {"id", "question", "retrieved", "refused", "latency_ms"} <= set(record)
        assert 0 < len(record["retrieved"]) <= 5
        assert {"section_id", "title", "path", "source", "score"} <= set(record["retrieved"][0])
        assert record["latency_ms"] > 0
    # Recompute the overall figures from the records alone.
    in_scope = [r for r in records if r["gold"]]
    ranks = [gold_ranks(r["retrieved"], r["gold"]) for r in in_scope]
    assert metrics["overall"] == retrieval_scores(ranks)
    assert records[0]["gold_ranks"] == [1]  # the section is literally titled "Open data"
    assert metrics["refusal"]["out_of_scope"] == 1 and metrics["refusal"]["in_scope"] == 2
    assert metrics["refusal"]["out_of_scope_refused"] == float(records[2]["refused"])
    flagged = records[2]["refused"] or bool(records[2]["unmentioned"])
    assert metrics["refusal"]["out_of_scope_refused_or_flagged"] == float(flagged)
    assert set(metrics["by_kind"]) == {"keyword", "paraphrase", "out_of_scope"}
    assert metrics["latency_ms"]["p50"] <= metrics["latency_ms"]["p95"]
    table = format_table(metrics)
    assert "overall" in table and "paraphrase" in table and "p50" in table


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "line 1 is not valid JSON"),
        ('{"question": "x", "gold": "2.1 Open data"}\n', "must be a list"),
        ('{"id": "a", "question": "   "}\n', "non-empty"),
        ("\n\n", "holds no questions"),
    ],
)
def test_bad_question_files_are_one_clear_sentence(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_questions(path)


def test_eval_command_missing_file_exits_2(mini_index, tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nope.jsonl"), "--index", str(mini_index.index)]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err


def test_holdout_quality_floor(corpus_index, embedder):
    """CI floor: retrieval and refusal on the holdout split must not fall below the measured level."""
    result = evaluate(HOLDOUT, corpus_index, assistant=Assistant(corpus_index, embedder))
    overall, refusal = result["metrics"]["overall"], result["metrics"]["refusal"]
    assert overall["recall@3"] >= FLOORS["recall@3"]
    assert overall["mrr@10"] >= FLOORS["mrr@10"]
    assert refusal["out_of_scope_refused"] >= FLOORS["out_of_scope_refused"]
    assert refusal["in_scope_wrongly_refused"] <= FLOORS["in_scope_wrongly_refused"]
