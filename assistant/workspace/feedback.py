"""Feedback export: thumbs up/down and comments, in the shape of the evaluation set's lines.

Each record has the eval set's fields (`id`, `question`, `gold`, `kind`) so a reviewer can copy the
good ones into tests/eval/, plus what the person said. `gold` holds the cited headings only when the
answer was marked helpful; an unhelpful answer's right sections are for the reviewer to fill in.
"""

from __future__ import annotations

import csv
import io
import json

from assistant.workspace.conversations import Turn

CSV_FIELDS = ["id", "question", "gold", "kind", "rating", "comment", "answer", "refused",
              "cited", "conversation_id", "created_at"]


def feedback_record(turn: Turn) -> dict:
    cited = [c.get("title", "") for c in turn.answer.get("citations", [])]
    return {
        "id": f"feedback-{turn.id}",
        "question": turn.question,
        "gold": cited if turn.rating == 1 else [],
        "kind": "feedback-refused" if turn.answer.get("refused") else "feedback",
        "rating": turn.rating,
        "comment": turn.comment,
        "answer": turn.answer_text,
        "refused": bool(turn.answer.get("refused")),
        "cited": cited,
        "conversation_id": turn.conversation_id,
        "created_at": turn.created_at,
    }


def to_jsonl(turns: list[Turn]) -> str:
    return "".join(json.dumps(feedback_record(t), ensure_ascii=False) + "\n" for t in turns)


def to_csv(turns: list[Turn]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for turn in turns:
        record = feedback_record(turn)
        record["gold"] = " | ".join(record["gold"])
        record["cited"] = " | ".join(record["cited"])
        writer.writerow({k: _no_formula(v) for k, v in record.items()})
    return out.getvalue()


def _no_formula(value: object) -> object:
    """Spreadsheets run cells starting with = + - @ as formulas; a leading quote keeps them text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
