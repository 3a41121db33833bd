"""Choose every tunable value leaving one document out at a time, print the values per fold, and fit
the shipped values on all documents.

Documents: the four evaluation documents (../shared/eval-docs, Markdown forms) and the companion,
whose questions for choosing are its dev split only (its holdout is for reporting, never read
here). Each document counts once, whatever its number of questions.

1. Fusion weights (assistant.retrieve.index.WEIGHTS): every grid point re-fuses each question's
   three rankings (computed once); the score is the mean over documents of Recall@3 + MRR@10 on the
   in-scope questions. Ties go to the weights closest to equal.
2. Role priors (assistant.retrieve.section_roles.DEMOTION): starting from none (every factor 1.0),
   each role's factor is swept in turn; of the values within TIED of the best, the one nearest 1.0
   is kept, so a prior survives only where it clearly helps the documents it was chosen on.
3. Refusal (assistant.answer.refusal.RULE): each index's bar is a quantile of the evidence its
   off-topic bank questions reach, plus an offset. Over a grid of coverage weights, quantiles and
   offsets, the rule kept maximises the mean over documents of (out-of-scope refused) - (answerable
   refused), among rules refusing at most MAX_WRONGLY_REFUSED of any document's answerable
   questions, each rule judged at its worst over the offset moved by +/-MARGIN.

Run: .venv/bin/python bench/calibrate.py [--eval-docs DIR]  (bench/documents.py runs it too)
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import documents  # noqa: E402
import numpy as np  # noqa: E402

from assistant.answer.off_topic import BANK  # noqa: E402
from assistant.answer.refusal import RefusalRule, evidence, threshold_from  # noqa: E402
from assistant.embed.model import Embedder  # noqa: E402
from assistant.evaluation.metrics import gold_ranks, retrieval_scores  # noqa: E402
from assistant.retrieve.index import Hit  # noqa: E402
from assistant.retrieve.section_roles import Role  # noqa: E402

SECTION_WEIGHTS = (0.5, 1.0, 1.5, 2.0)
BM25_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)
CHUNK_WEIGHTS = (0.0, 0.5, 1.0)
DEMOTIONS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
TIED = 0.01  # about one question in a hundred moving one place, in Recall@3 + MRR@10
COVERAGE_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4)
# Not above 0.9: the top few of ~70 bank questions are one or two questions, and a bar set by them
# swung with a single council question on the council-themed companion (docs/quality.md).
QUANTILES = (0.7, 0.75, 0.8, 0.85, 0.9)
OFFSETS = tuple(round(x, 3) for x in np.arange(-0.08, 0.081, 0.01))
MARGINS = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, float("inf"))
MAX_WRONGLY_REFUSED = 0.10
MARGIN = 0.01
NO_PRIORS = {role: 1.0 for role in Role if role is not Role.EXPLANATION}

Prepared = documents.Prepared
_HITS: dict[tuple, list[Hit]] = {}


def bank_questions() -> list[str]:
    return list(BANK)


def _key(weights: dict, demotion: dict) -> tuple:
    return tuple(sorted(weights.items())), tuple(sorted((r.value, v) for r, v in demotion.items()))


def hits(p: Prepared, question: str, rankings, weights: dict, demotion: dict) -> list[Hit]:
    key = (p.doc.label, question, *_key(weights, demotion))
    if key not in _HITS:
        _HITS[key] = p.index.fuse(question, rankings, documents.TOP, weights, demotion)
    return _HITS[key]


def quality(p: Prepared, weights: dict, demotion: dict) -> float:
    """Recall@3 + MRR@10 over the document's in-scope questions for choosing."""
    ranks = [gold_ranks([h.to_json() for h in hits(p, q.question, p.rankings[q.question], weights,
                                                       demotion)[:documents.TOP]], q.gold)
             for q in p.doc.tune if q.in_scope]
    scores = retrieval_scores(ranks)
    return scores["recall@3"] + scores["mrr@10"]


def _mean_quality(prepared: list[Prepared], weights: dict, demotion: dict) -> float:
    return round(float(np.mean([quality(p, weights, demotion) for p in prepared])), 6)


def choose_weights(prepared: list[Prepared]) -> dict[str, float]:
    grid = []
    for chunks, sections, bm25 in itertools.product(CHUNK_WEIGHTS, SECTION_WEIGHTS, BM25_WEIGHTS):
        weights = {"dense_chunks": chunks, "dense_sections": sections, "bm25": bm25}
        closeness = -abs(chunks - 1) - abs(sections - 1) - abs(bm25 - 1)
        grid.append((_mean_quality(prepared, weights, NO_PRIORS), closeness, weights))
    return max(grid, key=lambda g: (g[0], g[1]))[2]


def choose_demotion(prepared: list[Prepared], weights: dict) -> dict[Role, float]:
    demotion = dict(NO_PRIORS)
    for role in NO_PRIORS:
        rated = [(_mean_quality(prepared, weights, {**demotion, role: v}), v) for v in DEMOTIONS]
        top = max(score for score, _ in rated)
        demotion[role] = max(v for score, v in rated if score >= top - TIED)  # nearest 1.0 among the best
    return demotion


def _evidence(p: Prepared, weights: dict, demotion: dict, coverage_weight: float):
    """For one document: its questions' evidence, how much nearer each is to the bank than to the
    guide, whether each is in scope, and the bank's own evidence."""
    ev, nearer, inside = [], [], []
    for q in p.doc.tune:
        found = hits(p, q.question, p.rankings[q.question], weights, demotion)
        ev.append(evidence(found, coverage_weight))
        nearer.append(p.nearest_bank[q.question] - evidence(found, 0.0))
        inside.append(q.in_scope)
    bank = [evidence(hits(p, q, r, weights, demotion), coverage_weight) for q, r in p.bank]
    return np.array(ev), np.array(nearer), np.array(inside), bank


def choose_refusal(prepared: list[Prepared], weights: dict, demotion: dict) -> RefusalRule:
    best: tuple | None = None
    for coverage_weight in COVERAGE_WEIGHTS:
        data = [_evidence(p, weights, demotion, coverage_weight) for p in prepared]
        for quantile, offset, margin in itertools.product(QUANTILES, OFFSETS, MARGINS):
            rule = RefusalRule(coverage_weight, quantile, float(offset), margin)
            rated = []
            for d in (-MARGIN, 0.0, MARGIN):
                wrong, right = [], []
                for ev, nearer, inside, bank in data:
                    refused = (ev < threshold_from(bank, rule) + d) | (nearer > margin + d)
                    wrong.append(float(np.mean(refused[inside])))
                    right.append(float(np.mean(refused[~inside])) if (~inside).any() else 1.0)
                rated.append((max(wrong) <= MAX_WRONGLY_REFUSED, float(np.mean(right) - np.mean(wrong))))
            candidate = (min(rated), -abs(offset), rule)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return best[2]


def choose(prepared: list[Prepared]) -> documents.Tuning:
    weights = choose_weights(prepared)
    demotion = choose_demotion(prepared, weights)
    return documents.Tuning(weights, demotion, choose_refusal(prepared, weights, demotion))


def leave_one_out(prepared: list[Prepared]) -> dict[str, dict]:
    """For each document, the values chosen on all the others; printed as each fold is done."""
    folds: dict[str, dict] = {}
    for held in prepared:
        others = [p for p in prepared if p.doc.name != held.doc.name]
        tuning = choose(others)
        folds[held.doc.name] = {"tuning": tuning}
        print(f"fold without {held.doc.name}: {json.dumps(tuning.to_json())}", file=sys.stderr)
    return folds


def main() -> int:
    parser = argparse.ArgumentParser(description="Leave-one-document-out calibration; prints every fold.")
    parser.add_argument("--eval-docs", type=Path, default=documents.DEFAULT_EVAL_DOCS)
    args = parser.parse_args()
    if not args.eval_docs.is_dir():
        print(f"No evaluation documents at {args.eval_docs}; nothing to calibrate on (pass --eval-docs).")
        return 0
    embedder = Embedder()
    prepared = [documents.prepare(d, embedder, bank_questions())
                for d in documents.discover(args.eval_docs, documents.CACHE / "forms") if d.form == "md"]
    leave_one_out(prepared)
    print(json.dumps({"shipped (all documents)": choose(prepared).to_json()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
