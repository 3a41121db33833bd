"""Conversations kept on this machine: a small SQLite file of questions, answers, feedback and briefings.

The chat app puts a conversation's id in the page address, so a reload (or a bookmark) brings the
conversation back. Each call opens its own short-lived connection: Streamlit runs every browser
session in its own thread, and SQLite with WAL lets them read and write side by side.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError
from assistant.settings import Settings

_ID = re.compile(r"^[0-9a-f]{32}$")
_TITLE_CHARS = 80

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    briefing_title TEXT NOT NULL DEFAULT '',
    briefing_notes TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    pinned INTEGER,
    rating INTEGER,
    comment TEXT NOT NULL DEFAULT '',
    rated_at TEXT
);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns(conversation_id, position);
"""


def data_folder(settings: Settings) -> Path:
    """Where the app keeps its own files: the `data_dir` setting, else `data/` beside the index."""
    if settings.data_dir:
        return Path(settings.data_dir).expanduser()
    return Path(settings.index).expanduser().resolve().parent / "data"


def new_conversation_id() -> str:
    return uuid.uuid4().hex


def valid_conversation_id(value: object) -> bool:
    """Ids come from the address bar, so anything else is ignored rather than trusted."""
    return isinstance(value, str) and bool(_ID.match(value))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class Turn:
    """One question and its answer (the `ask --json` object), with the officer's marks on it."""

    id: int
    conversation_id: str
    position: int
    question: str
    answer: dict
    created_at: str
    pinned: int | None = None  # order in the briefing, or None when not in it
    rating: int | None = None  # +1 helpful, -1 not helpful
    comment: str = ""

    @property
    def answer_text(self) -> str:
        return str(self.answer.get("answer", ""))


@dataclass
class ConversationSummary:
    id: str
    title: str
    updated_at: str
    turns: int


@dataclass
class BriefingDraft:
    title: str
    notes: str
    turns: list[Turn]


class ConversationStore:
    """Conversations, turns, feedback and briefing pins in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise AssistantError(f"Cannot open the conversation store {self.path}: {exc}.") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=15)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            with db:  # one transaction, committed on success
                yield db
        finally:
            db.close()

    def exists(self, conversation_id: str) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return row is not None

    def add_turn(self, conversation_id: str, question: str, answer: dict) -> Turn:
        """Append a turn, creating the conversation (titled by its first question) if needed."""
        now = _now()
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO conversations (id, title, created_at, updated_at) "
                "VALUES (?, ?, ?, ?)",
                (conversation_id, _title(question), now, now),
            )
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            position = db.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()[0]
            cursor = db.execute(
                "INSERT INTO turns (conversation_id, position, question, answer_json, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (conversation_id, position, question, json.dumps(answer, ensure_ascii=False), now),
            )
            turn_id = int(cursor.lastrowid)
        return Turn(turn_id, conversation_id, position, question, answer, now)

    def turns(self, conversation_id: str) -> list[Turn]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY position", (conversation_id,)
            ).fetchall()
        return [_turn(row) for row in rows]

    def history(self, conversation_id: str) -> list[tuple[str, str]]:
        """(question, answer) pairs, oldest first, as `Assistant.ask(history=...)` wants them."""
        return [(t.question, t.answer_text) for t in self.turns(conversation_id)]

    def conversations(self, limit: int = 20) -> list[ConversationSummary]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.updated_at, COUNT(t.id) AS n FROM conversations c "
                "LEFT JOIN turns t ON t.conversation_id = c.id GROUP BY c.id "
                "ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [ConversationSummary(r["id"], r["title"], r["updated_at"], r["n"]) for r in rows]

    def clear(self, conversation_id: str) -> None:
        """Forget a conversation, its feedback and its briefing."""
        with self._connect() as db:
            db.execute("DELETE FROM turns WHERE conversation_id = ?", (conversation_id,))
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def set_feedback(self, turn_id: int, rating: int | None, comment: str = "") -> None:
        if rating not in (None, 1, -1):
            raise ValueError("rating must be +1, -1 or None")
        with self._connect() as db:
            db.execute(
                "UPDATE turns SET rating = ?, comment = ?, rated_at = ? WHERE id = ?",
                (rating, comment.strip(), _now(), turn_id),
            )

    def rated_turns(self) -> list[Turn]:
        """Every turn with a rating or a comment, oldest first, for export."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM turns WHERE rating IS NOT NULL OR comment != '' ORDER BY id"
            ).fetchall()
        return [_turn(row) for row in rows]

    def pin(self, turn_id: int, pinned: bool = True) -> None:
        """Add a turn to its conversation's briefing (at the end), or take it out."""
        with self._connect() as db:
            if not pinned:
                db.execute("UPDATE turns SET pinned = NULL WHERE id = ?", (turn_id,))
                return
            db.execute(
                "UPDATE turns SET pinned = (SELECT COALESCE(MAX(pinned), 0) + 1 FROM turns "
                "WHERE conversation_id = (SELECT conversation_id FROM turns WHERE id = ?)) "
                "WHERE id = ? AND pinned IS NULL",
                (turn_id, turn_id),
            )

    def briefing(self, conversation_id: str) -> BriefingDraft:
        with self._connect() as db:
            row = db.execute(
                "SELECT briefing_title, briefing_notes FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            rows = db.execute(
                "SELECT * FROM turns WHERE conversation_id = ? AND pinned IS NOT NULL ORDER BY pinned",
                (conversation_id,),
            ).fetchall()
        title, notes = (row["briefing_title"], row["briefing_notes"]) if row else ("", "")
        return BriefingDraft(title, notes, [_turn(r) for r in rows])

    def set_briefing_text(self, conversation_id: str, title: str, notes: str) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE conversations SET briefing_title = ?, briefing_notes = ? WHERE id = ?",
                (title, notes, conversation_id),
            )


def _title(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= _TITLE_CHARS else text[: _TITLE_CHARS - 1].rstrip() + "…"


def _turn(row: sqlite3.Row) -> Turn:
    return Turn(
        id=row["id"],
        conversation_id=row["conversation_id"],
        position=row["position"],
        question=row["question"],
        answer=json.loads(row["answer_json"]),
        created_at=row["created_at"],
        pinned=row["pinned"],
        rating=row["rating"],
        comment=row["comment"] or "",
    )
