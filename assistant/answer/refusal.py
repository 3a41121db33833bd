"""Deciding, in code, when the guide does not cover a question.

A section's evidence is its best cosine similarity to the question, less a penalty for the share of
the question's terms the section never uses. The question's evidence is that of its best section
among the top five, ranked as fusion ranked them before any role prior.

What evidence is enough depends on the guide: a guide on digital services for councils sits closer
to any council question than a handbook on open data does. So the bar is not one number fitted to
one guide. When an index opens, the bank of questions no guide for councillors answers
(assistant.answer.off_topic) is asked of it, and the bar is set at a high quantile of their
evidence, plus a small offset: a question is answered only when the guide matches it better than
it matches nearly all of those. The quantile, the offset and the coverage weight are chosen by
`bench/calibrate.py` leaving one document out at a time; the `refusal_threshold` setting, when
above 0, replaces the fitted bar.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from assistant.answer.off_topic import BANK
from assistant.embed.model import Embedder
from assistant.retrieve.index import UNWEIGHTED_KEPT, GuideIndex, Hit


@dataclass(frozen=True)
class RefusalRule:
    coverage_weight: float  # evidence lost per share of the question's terms the section lacks
    quantile: float  # of the off-topic bank's evidence on this index
    offset: float  # added to that quantile, on the cosine scale

    def to_json(self) -> dict:
        return asdict(self)


# Chosen by bench/calibrate.py on every evaluation document and the companion's dev split
# (docs/quality.md); each document's reported figures come from values chosen without it.
RULE = RefusalRule(coverage_weight=0.3, quantile=0.9, offset=0.0)


def section_evidence(hit: Hit, coverage_weight: float = RULE.coverage_weight) -> float:
    return hit.similarity - coverage_weight * (1.0 - hit.coverage)


def evidence(hits: list[Hit], coverage_weight: float = RULE.coverage_weight) -> float:
    considered = sorted(hits, key=lambda h: -h.score / h.prior)[:UNWEIGHTED_KEPT]
    return max((section_evidence(h, coverage_weight) for h in considered), default=0.0)


def threshold_from(bank_evidence: Sequence[float], rule: RefusalRule = RULE) -> float:
    """The bar for one index, from the evidence its off-topic bank questions reached."""
    if not bank_evidence:
        return rule.offset
    return float(np.quantile(np.asarray(bank_evidence, dtype=float), rule.quantile)) + rule.offset


_FITTED: weakref.WeakKeyDictionary[GuideIndex, float] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def index_threshold(index: GuideIndex, embedder: Embedder, override: float = 0.0) -> float:
    """The refusal bar for this index: `override` when above 0, else fitted once from the bank."""
    if override > 0:
        return override
    with _LOCK:
        if index not in _FITTED:
            vectors = embedder.encode(list(BANK))
            scores = [evidence(index.search(q, v, UNWEIGHTED_KEPT)) for q, v in zip(BANK, vectors)]
            _FITTED[index] = threshold_from(scores)
        return _FITTED[index]


def should_refuse(hits: list[Hit], threshold: float) -> bool:
    return not hits or evidence(hits) < threshold
