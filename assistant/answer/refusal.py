"""Deciding, in code, when the guide does not cover a question.

A section's evidence is its best cosine similarity to the question, less a penalty for the share of
the question's terms the section never uses. The question's evidence is that of its best section
among the top five, ranked as fusion ranked them before any role prior.

What evidence is enough depends on the guide: a guide on digital services for councils sits closer
to any council question than a handbook on open data does. So the bar is not one number fitted to
one guide. When an index opens, the bank of questions no guide for councillors answers
(assistant.answer.off_topic) is asked of it, and the bar is set at a high quantile of their
evidence, plus a small offset: a question is answered only when the guide matches it better than
it matches nearly all of those.

A question much closer to one of those bank questions than to anything in the guide is refused too
("How do I report a missed bin collection?" sits near "Can the council collect an old fridge?" and
only loosely near a guide's talk of services): everyday council business, whatever the guide.

The quantile, the offset, the coverage weight and the neighbour margin are chosen by
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
    neighbour_margin: float = float("inf")  # refuse when a bank question is this much closer

    def to_json(self) -> dict:
        return asdict(self)


# Chosen by bench/calibrate.py on every evaluation document and the companion's dev split
# (docs/quality.md); each document's reported figures come from values chosen without it.
RULE = RefusalRule(coverage_weight=0.1, quantile=0.9, offset=0.02, neighbour_margin=0.05)


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


def closer_to_bank(hits: list[Hit], nearest_bank: float, rule: RefusalRule = RULE) -> bool:
    """Whether the question is nearer a bank question (cosine `nearest_bank`) than to the guide by
    more than the rule's margin."""
    return nearest_bank - evidence(hits, 0.0) > rule.neighbour_margin


@dataclass(frozen=True)
class Bar:
    """What one index refuses below: its threshold and the bank's question vectors (unit rows)."""

    threshold: float
    bank: np.ndarray

    def nearest_bank(self, vector: np.ndarray) -> float:
        unit = np.asarray(vector, dtype=np.float32)
        return float(np.max(self.bank @ (unit / (np.linalg.norm(unit) or 1.0))))

    def refuses(self, hits: list[Hit], vector: np.ndarray | None) -> bool:
        if not hits or evidence(hits) < self.threshold:
            return True
        return vector is not None and closer_to_bank(hits, self.nearest_bank(vector))


_FITTED: weakref.WeakKeyDictionary[GuideIndex, Bar] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def index_bar(index: GuideIndex, embedder: Embedder, override: float = 0.0) -> Bar:
    """The refusal bar for this index, fitted once from the bank; `override` above 0 replaces the
    fitted threshold."""
    with _LOCK:
        if index not in _FITTED:
            vectors = np.asarray(embedder.encode(list(BANK)), dtype=np.float32)
            scores = [evidence(index.search(q, v, UNWEIGHTED_KEPT)) for q, v in zip(BANK, vectors)]
            unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
            _FITTED[index] = Bar(threshold_from(scores), unit)
        bar = _FITTED[index]
    return Bar(override, bar.bank) if override > 0 else bar
