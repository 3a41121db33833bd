"""Retrieval and refusal figures, computed from ranked sections and gold headings.

Pure functions over plain data, so `assistant eval`, the baselines in `bench/` and the tests all
score rankings the same way. A ranked section is anything with a `title` and a heading `path`
(a `Hit.to_json()` dict, or a dict built by a baseline).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

_SPACES = re.compile(r"\s+")
RECALL_AT = (1, 3, 5)
MRR_AT = 10


def normalise_heading(heading: str) -> str:
    """Headings compare ignoring case and runs of whitespace."""
    return _SPACES.sub(" ", heading).strip().casefold()


def section_matches(section: Mapping, gold: Iterable[str]) -> bool:
    """True when the section's title, or any heading in its path, equals a gold heading."""
    wanted = {normalise_heading(g) for g in gold}
    headings = [section.get("title", ""), *section.get("path", ())]
    return any(normalise_heading(h) in wanted for h in headings)


def gold_ranks(ranked: Sequence[Mapping], gold: Sequence[str]) -> list[int | None]:
    """For each gold heading, the 1-based rank of the first section matching it (None if absent)."""
    ranks: list[int | None] = []
    for heading in gold:
        found = (i for i, section in enumerate(ranked, start=1) if section_matches(section, [heading]))
        ranks.append(next(found, None))
    return ranks


def retrieval_scores(per_question: Sequence[Sequence[int | None]]) -> dict[str, float]:
    """Recall@1/3/5 and MRR@10 over in-scope questions, from each question's `gold_ranks`.

    Recall@k is, averaged over questions, the share of a question's gold headings found among the
    top k sections (for a question with one gold heading: 1 if found, else 0). MRR@10 averages
    1/rank of the first gold section, counting 0 past rank 10.
    """
    n = len(per_question)
    scores: dict[str, float] = {"n": n}
    for name, values in question_scores(per_question).items():
        scores[name] = round(sum(values) / n, 4) if n else 0.0
    return scores


def question_scores(per_question: Sequence[Sequence[int | None]]) -> dict[str, list[float]]:
    """Each question's own Recall@1/3/5 and reciprocal rank: the figures averaged above."""
    scores: dict[str, list[float]] = {}
    for k in RECALL_AT:
        scores[f"recall@{k}"] = [
            sum(1 for r in ranks if r is not None and r <= k) / len(ranks) for ranks in per_question
        ]
    firsts = [min((r for r in ranks if r is not None), default=None) for ranks in per_question]
    scores[f"mrr@{MRR_AT}"] = [1.0 / r if r is not None and r <= MRR_AT else 0.0 for r in firsts]
    return scores


def bootstrap_interval(
    values: Sequence[float], baseline: Sequence[float] | None = None, draws: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """A 95% interval for the mean of `values` (or, paired, of `values` - `baseline`), resampling
    questions with replacement: how far a figure could move on another set of questions like these."""
    if baseline is not None:
        values = [v - b for v, b in zip(values, baseline, strict=True)]
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)  # fixed: the same records always give the same interval
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(draws))
    return (round(means[int(0.025 * draws)], 4), round(means[int(0.975 * draws) - 1], 4))


def refusal_scores(refused: Sequence[bool], in_scope: Sequence[bool]) -> dict[str, float]:
    """Share of out-of-scope questions refused, and share of in-scope questions wrongly refused."""
    outside = [r for r, inside in zip(refused, in_scope) if not inside]
    inside = [r for r, inside in zip(refused, in_scope) if inside]
    return {
        "out_of_scope": len(outside),
        "out_of_scope_refused": _share(sum(outside), len(outside)),
        "in_scope": len(inside),
        "in_scope_wrongly_refused": _share(sum(inside), len(inside)),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated linearly (numpy's default), to 2 decimals; 0 for none."""
    if not len(values):
        return 0.0
    return round(float(np.percentile(values, q)), 2)


def latency_scores(latencies_ms: Sequence[float]) -> dict[str, float]:
    return {"p50": percentile(latencies_ms, 50), "p95": percentile(latencies_ms, 95),
            "n": len(latencies_ms)}


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0
