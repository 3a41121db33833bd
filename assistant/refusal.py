"""Deciding, in code, when the guide does not cover a question.

The evidence is the best cosine similarity between the question and any chunk among the top
sections. The threshold is calibrated on the dev questions only (`bench/calibrate.py`), never on the
holdout set, and can be overridden with the `refusal_threshold` setting.
"""

from __future__ import annotations

from assistant.retrieval import Hit

# Calibrated on tests/eval/dev.jsonl; see README "Calibration".
CALIBRATED_THRESHOLD = 0.35


def evidence(hits: list[Hit]) -> float:
    return max((h.similarity for h in hits[:5]), default=0.0)


def should_refuse(hits: list[Hit], threshold: float = 0.0) -> bool:
    limit = threshold if threshold > 0 else CALIBRATED_THRESHOLD
    return not hits or evidence(hits) < limit
