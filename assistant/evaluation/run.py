"""How well the assistant finds the right section, and refuses wisely.

Each line of the file is `{"id", "question", "gold": [heading, ...], "kind"}`; `gold: []` means the
guide does not cover the question. Every question goes through the whole `Assistant.ask`, timed in
process after one warm-up question, so the latency is that of a warm answer (retrieval and
composing), not of loading the model. The command itself (`assistant eval FILE.jsonl`) is
assistant/cli/evaluate.py.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import UsageError
from assistant.evaluation.metrics import (
    MRR_AT,
    RECALL_AT,
    gold_ranks,
    latency_scores,
    refusal_scores,
    retrieval_scores,
)
from assistant.settings import Settings

OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    gold: tuple[str, ...]
    kind: str

    @property
    def in_scope(self) -> bool:
        return bool(self.gold)


@dataclass
class EvalRecord:
    question: EvalQuestion
    retrieved: list[dict]
    refused: bool
    latency_ms: float
    unmentioned: list[str] = field(default_factory=list)  # names the answer said the guide never uses
    ranks: list[int | None] = field(init=False)

    def __post_init__(self) -> None:
        self.ranks = gold_ranks(self.retrieved, self.question.gold)

    def to_json(self) -> dict:
        q = self.question
        return {
            "id": q.id,
            "question": q.question,
            "kind": q.kind,
            "gold": list(q.gold),
            "retrieved": self.retrieved,
            "refused": self.refused,
            "latency_ms": round(self.latency_ms, 2),
            "gold_ranks": self.ranks,
            "unmentioned": self.unmentioned,
        }


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read and check the JSONL file; a bad line is one clear sentence naming the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} cannot be read as UTF-8 text ({exc.__class__.__name__}).") from None
    questions: list[EvalQuestion] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        questions.append(_parse(line, f"{path}, line {number}"))
    if not questions:
        raise UsageError(f"{path} holds no questions.")
    return questions


def _parse(line: str, where: str) -> EvalQuestion:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise UsageError(f"{where} is not valid JSON.") from None
    if not isinstance(data, dict):
        raise UsageError(f"{where} must be a JSON object.")
    question, gold = data.get("question"), data.get("gold", [])
    if not isinstance(question, str) or not question.strip():
        raise UsageError(f"{where} needs a non-empty \"question\".")
    if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
        raise UsageError(f"{where}: \"gold\" must be a list of section headings.")
    kind = str(data.get("kind") or ("in_scope" if gold else OUT_OF_SCOPE))
    return EvalQuestion(str(data.get("id", where)), question, tuple(gold), kind)


def run(questions: list[EvalQuestion], assistant, k: int) -> list[EvalRecord]:
    """Ask every question of a loaded `Assistant`, timing each whole answer after a warm-up."""
    assistant.ask(questions[0].question)  # first call pays one-off costs (caches, lazy imports)
    records: list[EvalRecord] = []
    for q in questions:
        started = time.perf_counter()
        answer = assistant.ask(q.question)
        elapsed = (time.perf_counter() - started) * 1000
        records.append(EvalRecord(q, [h.to_json() for h in answer.hits[:k]], answer.refused, elapsed,
                                  answer.unmentioned))
    return records


def score(records: list[EvalRecord]) -> dict:
    """Overall and per-kind figures; recomputable from the records alone."""
    inside = [r for r in records if r.question.in_scope]
    kinds = sorted({r.question.kind for r in records})
    by_kind: dict[str, dict] = {}
    for kind in kinds:
        group = [r for r in records if r.question.kind == kind]
        scored = [r for r in group if r.question.in_scope]
        figures: dict = retrieval_scores([r.ranks for r in scored]) if scored else {"n": 0}
        figures.update(_refusals(group))
        figures["questions"] = len(group)
        by_kind[kind] = figures
    return {
        "questions": len(records),
        "overall": retrieval_scores([r.ranks for r in inside]),
        "refusal": _refusals(records),
        "by_kind": by_kind,
        "latency_ms": latency_scores([r.latency_ms for r in records]),
    }


def _refusals(records: list[EvalRecord]) -> dict:
    figures = refusal_scores([r.refused for r in records], [r.question.in_scope for r in records])
    # Out of scope and still answered, but opening by naming what the guide never mentions.
    outside = [r for r in records if not r.question.in_scope]
    flagged = sum(r.refused or bool(r.unmentioned) for r in outside)
    figures["out_of_scope_refused_or_flagged"] = round(flagged / len(outside), 4) if outside else 0.0
    return figures


def evaluate(path: Path, settings: Settings, k: int = MRR_AT, assistant=None) -> dict:
    """The `--json` object: `{"records": [...], "metrics": {...}}`."""
    if k < 1:
        raise UsageError("--k must be at least 1.")
    questions = load_questions(path)
    if assistant is None:
        from assistant.answer.pipeline import Assistant

        assistant = Assistant(settings.replace(top_k=max(k, settings.top_k)))
    records = run(questions, assistant, k)
    metrics = score(records)
    metrics["k"] = k
    metrics["file"] = str(path)
    return {"records": [r.to_json() for r in records], "metrics": metrics}


def format_table(metrics: dict) -> str:
    """The figures as a plain-text table for a terminal."""
    heads = [f"R@{k}" for k in RECALL_AT] + [f"MRR@{MRR_AT}", "refused"]
    lines = [f"{metrics['file']}: {metrics['questions']} questions", ""]
    lines.append(f"{'kind':<16}{'n':>5}" + "".join(f"{h:>9}" for h in heads))
    rows = [*metrics["by_kind"].items(), ("overall", {**metrics["overall"], **metrics["refusal"]})]
    for kind, f in rows:
        lines.append(f"{kind:<16}{f.get('questions', f['n']):>5}" + "".join(
            f"{_cell(f, key):>9}" for key in [*(f"recall@{k}" for k in RECALL_AT), f"mrr@{MRR_AT}"]
        ) + f"{_refused_cell(f):>9}")
    refusal, latency = metrics["refusal"], metrics["latency_ms"]
    lines += [
        "",
        f"Out-of-scope questions refused: {refusal['out_of_scope_refused']:.0%} of "
        f"{refusal['out_of_scope']}; in-scope questions wrongly refused: "
        f"{refusal['in_scope_wrongly_refused']:.0%} of {refusal['in_scope']}.",
        f"Out-of-scope questions refused, or answered after saying the guide never mentions a name "
        f"they use: {refusal['out_of_scope_refused_or_flagged']:.0%}.",
        f"Warm answer latency: p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms.",
        "(refused: share refused for out-of-scope kinds, share wrongly refused otherwise)",
    ]
    return "\n".join(lines)


def _cell(figures: dict, key: str) -> str:
    return f"{figures[key]:.3f}" if figures.get("n") and key in figures else "-"


def _refused_cell(figures: dict) -> str:
    if figures.get("in_scope"):
        return f"{figures['in_scope_wrongly_refused']:.0%}"
    if figures.get("out_of_scope"):
        return f"{figures['out_of_scope_refused']:.0%}"
    return "-"
