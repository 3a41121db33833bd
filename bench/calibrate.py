"""Choose the fusion weights and the refusal rule on the DEV questions only, and print them.

Never run this on the holdout split: its figures are for reporting, not for choosing. The values
printed here are copied by hand into `assistant/retrieve/index.py` (`WEIGHTS`),
`assistant/retrieve/section_roles.py` (`DEMOTION`) and `assistant/answer/refusal.py` (`CALIBRATED_THRESHOLD`,
`COVERAGE_WEIGHT`), each with a comment naming this script.

1. Fusion: every question's three rankings are computed once; each grid point re-fuses them and is
   scored by Recall@3 + MRR@10 over the in-scope questions. Ties go to the weights closest to equal.
2. Role priors: with those weights, each role's demotion (assistant.retrieve.section_roles) is swept in turn
   over DEMOTIONS, the others held; of the values scoring within TIED of the best, the middle one
   is kept, so the choice sits inside a plateau rather than on an edge one question wide.
3. Refusal: with those weights and priors, each question's evidence is computed for each coverage weight; the
   threshold maximises (out-of-scope refused) - (in-scope wrongly refused), with no more than 5% of
   in-scope questions refused, taking the worst of the threshold and the threshold moved by
   +/-MARGIN, so a rule that only works on a knife-edge loses to one with room on both sides.
   Ties go to the smaller coverage weight, then the middle threshold.

Run: .venv/bin/python bench/calibrate.py [--index DIR] [tests/eval/dev.jsonl]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import assistant  # noqa: F401  (offline and no-telemetry environment first)
from assistant.answer.refusal import evidence
from assistant.embed.model import Embedder
from assistant.evaluation.metrics import gold_ranks, retrieval_scores
from assistant.evaluation.run import load_questions
from assistant.retrieve.index import GuideIndex
from assistant.retrieve.section_roles import DEMOTION, Role
from assistant.settings import Settings

SECTION_WEIGHTS = (0.3, 0.6, 1.0, 1.5, 2.0)
BM25_WEIGHTS = (0.3, 0.5, 0.8, 1.0, 1.5)
DEMOTIONS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
TIED = 0.01  # about one question moving one place, in Recall@3 + MRR@10 over ~60 questions
COVERAGE_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
MAX_WRONGLY_REFUSED = 0.05
MARGIN = 0.02


def calibrate(path: Path, settings: Settings, embedder: Embedder) -> dict:
    if "holdout" in path.name:
        raise SystemExit("calibrate.py chooses values on the dev split only; refusing to read holdout.")
    questions = load_questions(path)
    index = GuideIndex(settings, embedder)
    vectors = embedder.encode([q.question for q in questions])
    rankings = [index.rankings(q.question, v) for q, v in zip(questions, vectors)]

    def quality(weights: dict[str, float], demotion: dict[Role, float] = DEMOTION) -> dict:
        ranks = [
            gold_ranks([h.to_json() for h in index.fuse(q.question, r, 10, weights, demotion)], q.gold)
            for q, r in zip(questions, rankings) if q.in_scope
        ]
        return retrieval_scores(ranks)

    grid = []
    for sections, bm25 in itertools.product(SECTION_WEIGHTS, BM25_WEIGHTS):
        weights = {"dense_chunks": 1.0, "dense_sections": sections, "bm25": bm25}
        scores = quality(weights)
        closeness = -abs(sections - 1) - abs(bm25 - 1)
        grid.append((scores["recall@3"] + scores["mrr@10"], closeness, weights, scores))
    _, _, weights, scores = max(grid, key=lambda g: (g[0], g[1]))

    demotion = dict(DEMOTION)
    for role in demotion:
        rated = []
        for value in DEMOTIONS:
            scored = quality(weights, {**demotion, role: value})
            rated.append((round(scored["recall@3"] + scored["mrr@10"], 6), value, scored))
        top = max(r[0] for r in rated)
        tied = [r for r in rated if r[0] >= top - TIED]
        _, demotion[role], scores = tied[(len(tied) - 1) // 2]

    hits = [index.fuse(q.question, r, 10, weights, demotion) for q, r in zip(questions, rankings)]
    outside = [h for h, q in zip(hits, questions) if not q.in_scope]
    inside = [h for h, q in zip(hits, questions) if q.in_scope]
    best = None
    for coverage_weight in COVERAGE_WEIGHTS:
        out_ev = [evidence(h, coverage_weight) for h in outside]
        in_ev = [evidence(h, coverage_weight) for h in inside]
        values = sorted(set(out_ev + in_ev))
        candidates = [(a + b) / 2 for a, b in zip(values, values[1:])]
        rated = []
        for t in candidates:
            worst = min(_rate(t + d, out_ev, in_ev)[0] for d in (-MARGIN, 0.0, MARGIN))
            if worst >= 0:
                rated.append((round(worst, 6), t, *_rate(t, out_ev, in_ev)[1:]))
        if not rated:
            continue
        top = max(r[0] for r in rated)
        tied = [r for r in rated if r[0] == top]
        pick = tied[len(tied) // 2]
        if best is None or top > best[0][0]:
            best = (pick, coverage_weight)
    (_, threshold, refused, wrong), coverage_weight = best
    index.close()
    return {
        "file": str(path),
        "weights": weights,
        "demotion": {role.value: value for role, value in demotion.items()},
        "dev_retrieval": scores,
        "threshold": round(threshold, 3),
        "coverage_weight": coverage_weight,
        "dev_out_of_scope_refused": round(refused, 4),
        "dev_in_scope_wrongly_refused": round(wrong, 4),
    }


def _rate(threshold: float, outside: list[float], inside: list[float]) -> tuple[float, float, float]:
    """(score, share of out-of-scope refused, share of in-scope refused); score -1 past the cap."""
    refused = sum(e < threshold for e in outside) / max(1, len(outside))
    wrong = sum(e < threshold for e in inside) / max(1, len(inside))
    return (refused - wrong if wrong <= MAX_WRONGLY_REFUSED else -1.0), refused, wrong


def main() -> int:
    parser = argparse.ArgumentParser(description="Calibrate fusion weights and refusal on dev only.")
    parser.add_argument("file", nargs="?", type=Path, default=Path("tests/eval/dev.jsonl"))
    parser.add_argument("--index", type=Path, help="index folder built from corpus/")
    args = parser.parse_args()
    settings = Settings.load(index=args.index)
    print(json.dumps(calibrate(args.file, settings, Embedder(settings.model)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
