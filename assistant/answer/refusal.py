"""Deciding, in code, when the guide does not cover a question.

A section's evidence is its best cosine similarity to the question, less a penalty for the share of
the question's terms the section never uses: "Which council tax band is my house in?" sits close to
the guide's talk of councils and residents in vector space, but "tax" and "band" appear nowhere in
the sections it finds. The question's evidence is that of its best section among the top five, ranked
as fusion ranked them before any role prior: whether the guide covers a question does not depend on
whether the best match is a glossary entry or a chapter.

Both constants are calibrated on tests/eval/dev.jsonl only, never on the holdout split, by
`bench/calibrate.py` (docs/calibration.md); the `refusal_threshold` setting overrides the threshold.
"""

from __future__ import annotations

from assistant.retrieve.index import UNWEIGHTED_KEPT, Hit

# Chosen by bench/calibrate.py on the dev split; evidence is on the cosine scale.
CALIBRATED_THRESHOLD = 0.235
COVERAGE_WEIGHT = 0.3


def section_evidence(hit: Hit, coverage_weight: float = COVERAGE_WEIGHT) -> float:
    return hit.similarity - coverage_weight * (1.0 - hit.coverage)


def evidence(hits: list[Hit], coverage_weight: float = COVERAGE_WEIGHT) -> float:
    considered = sorted(hits, key=lambda h: -h.score / h.prior)[:UNWEIGHTED_KEPT]
    return max((section_evidence(h, coverage_weight) for h in considered), default=0.0)


def should_refuse(hits: list[Hit], threshold: float = 0.0) -> bool:
    limit = threshold if threshold > 0 else CALIBRATED_THRESHOLD
    return not hits or evidence(hits) < limit
