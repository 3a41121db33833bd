"""The benchmark's scoring and report code on the mini index: the bench is run by hand, so a change
to what `assistant eval` records must not break it unnoticed (timings themselves are never tested)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from assistant.answer.pipeline import Assistant
from assistant.evaluation.run import EvalQuestion
from assistant.retrieve.index import GuideIndex

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str):
    """A bench script as a module (bench/ is a folder of scripts, not a package)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # run_all imports its sibling scripts by name
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


QUESTIONS = [
    EvalQuestion("q1", "What is open data?", ("2.1 Open data",), "keyword"),
    EvalQuestion("q2", "Who should own the digital plan?", ("1.1 A chief digital officer",), "paraphrase"),
    EvalQuestion("q3", "Who won the Premier League last season?", (), "out_of_scope"),
]


@pytest.fixture(scope="module")
def rows(mini_index, embedder):
    baselines = _load("baselines")
    index = GuideIndex(mini_index, embedder)
    systems = [("(b) BM25 alone", baselines._RankerAsAssistant(baselines.bm25_ranker(index)), False),
               ("assistant (ours)", Assistant(mini_index, embedder), True)]
    rows = [baselines.score_system(name, asker, QUESTIONS, refuses) for name, asker, refuses in systems]
    for row in rows:
        row["recall@3_vs_a"] = row["p50_vs_a"] = 1.0
        row["interval_95"] = baselines.intervals(row, rows[0])
    yield rows
    index.close()


def test_rows_carry_figures_and_paired_intervals(rows):
    base, ours = rows
    assert base["out_of_scope_refused"] is None and ours["out_of_scope_refused"] is not None
    for row in rows:
        assert len(row["per_question"]["all"]["recall@3"]) == 2  # the two in-scope questions
        low, high = row["interval_95"]["recall@3"]
        assert low <= row["recall@3"] <= high
    assert base["interval_95"]["recall@3_minus_a"] == (0.0, 0.0)  # a system against itself


def test_the_report_shows_each_interval(rows):
    run_all = _load("run_all")
    for row in rows:
        del row["per_question"]
    quality = {"dev": rows, "holdout": rows}
    table = run_all.certainty_table(quality)
    assert table.count("\n") == 3  # header, rule, one line per split
    ours = rows[1]
    low, high = ours["interval_95"]["recall@3"]
    assert f"{ours['recall@3']:.3f} ({low:.3f} to {high:.3f})" in table
    assert "assistant (ours)" in run_all.quality_table(quality)
