"""Floors per evaluation document: guides nobody on this team wrote (../shared/eval-docs), each in its
Markdown form, asked through the whole `Assistant.ask` with the shipped values.

Each floor sits just under both that document's held-out figure in docs/quality.md (values chosen
by bench/calibrate.py without the document) and what the shipped values give it here (2026-11-29:
R@3 0.929 / 0.728 / 0.849 / 0.875, MRR 0.834 / 0.726 / 0.727 / 0.857 in the order below), so a change
that loses ground on a guide it was not written around fails here. Skipped, with one line saying
why, where the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_settings

from assistant.answer.pipeline import Assistant
from assistant.evaluation.metrics import gold_ranks, retrieval_scores
from assistant.evaluation.run import load_questions
from assistant.ingest.pipeline import ingest

EVAL_DOCS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-docs"

# document: (Recall@3, MRR@10, most answerable questions refused, fewest out-of-scope refused or
# flagged), each a little under (or, for the ceiling, over) the held-out figure.
FLOORS = {
    "18f-content-guide": (0.86, 0.75, 0.07, 0.75),
    "open-data-handbook": (0.70, 0.69, 0.16, 0.75),
    "sdm-assisted-digital": (0.78, 0.70, 0.05, 0.55),
    "sdm-technology": (0.83, 0.82, 0.05, 0.85),
}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def figures(request, tmp_path_factory, embedder) -> tuple[str, dict, float, float]:
    folder = EVAL_DOCS / request.param
    if not (folder / "document.md").exists():
        pytest.skip(f"no evaluation document at {folder} (../shared/eval-docs beside the repository)")
    settings = make_settings(tmp_path_factory.mktemp(request.param))
    assert ingest([folder / "document.md"], settings, embedder).published
    assistant = Assistant(settings, embedder)
    answerable, refused, outside = [], [], []
    for q in load_questions(folder / "questions.jsonl"):
        answer = assistant.ask(q.question)
        if q.in_scope:
            answerable.append(gold_ranks([h.to_json() for h in answer.hits], q.gold))
            refused.append(answer.refused)
        else:
            outside.append(answer.refused or bool(answer.unmentioned))
    assistant.index.close()
    return (request.param, retrieval_scores(answerable), sum(refused) / len(refused),
            sum(outside) / len(outside))


def test_each_unseen_guide_stays_above_its_floor(figures):
    name, scores, refused, outside = figures
    recall, mrr, most_refused, fewest_outside = FLOORS[name]
    assert scores["recall@3"] >= recall, f"{name}: Recall@3 {scores['recall@3']} < {recall}"
    assert scores["mrr@10"] >= mrr, f"{name}: MRR@10 {scores['mrr@10']} < {mrr}"
    assert refused <= most_refused, f"{name}: {refused:.0%} of answerable questions refused"
    assert outside >= fewest_outside, f"{name}: only {outside:.0%} of out-of-scope questions refused"
