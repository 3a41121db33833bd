"""Conversations kept on this machine: a small SQLite file of questions, answers, feedback and briefings.

Every conversation has an owner: a random id that the browser which started it keeps (the app keeps
it in a cookie). A store opened with `owned_by(owner)` reads and changes only that owner's
conversations, turns, feedback and briefings, so colleagues sharing one server never see each
other's questions. The chat app also puts a conversation's id in the page address, so a reload (or
a bookmark) brings the conversation back, for its owner only.

Each call opens its own short-lived connection: Streamlit runs every browser session in its own
thread, and SQLite with WAL lets them read and write side by side.
"""

from __future__ import annotations

import copy
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
    briefing_notes TEXT NOT NULL DEFAULT '',
    briefing_purpose TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT ''
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
# Columns added since the first version, for files written before them. Old conversations get the
# empty owner, which no browser ever has, so they stay hidden rather than shown to everyone.
_ADDED_COLUMNS = ("owner", "briefing_purpose")
_OWNER_INDEX = "CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations(owner, updated_at)"


def data_folder(settings: Settings) -> Path:
    """Where the app keeps its own files: the `data_dir` setting, else `data/` beside the index."""
    if settings.data_dir:
        return Path(settings.data_dir).expanduser()
    return Path(settings.index).expanduser().resolve().parent / "data"


def new_id() -> str:
    """A random 128-bit id, for a conversation or for the browser that owns conversations."""
    return uuid.uuid4().hex


def valid_id(value: object) -> bool:
    """Ids come from the address bar or a cookie, so anything else is ignored rather than trusted."""
    return isinstance(value, str) and bool(_ID.match(value))


new_conversation_id = new_owner_id = new_id
valid_conversation_id = valid_owner_id = valid_id


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
    purpose: str = ""


class ConversationStore:
    """Conversations, turns, feedback and briefing pins in one SQLite file.

    Opened on a path, the store sees every owner's conversations (for tests and maintenance);
    `owned_by(owner)` gives the view a browser session uses, limited to that owner.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.owner: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(_SCHEMA)
                columns = {row["name"] for row in db.execute("PRAGMA table_info(conversations)")}
                for column in _ADDED_COLUMNS:
                    if column not in columns:
                        db.execute(f"ALTER TABLE conversations ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
                db.execute(_OWNER_INDEX)
        except (OSError, sqlite3.Error) as exc:
            raise AssistantError(f"Cannot open the conversation store {self.path}: {exc}.") from None

    def owned_by(self, owner: str) -> ConversationStore:
        """The same file, limited to one owner's conversations and everything in them."""
        if not valid_id(owner):
            raise ValueError("an owner id is 32 lowercase hex digits")
        scoped = copy.copy(self)
        scoped.owner = owner
        return scoped

    def _mine(self, conversation_column: str) -> tuple[str, tuple[str, ...]]:
        """A WHERE condition (and its parameters) keeping rows of this owner's conversations."""
        if self.owner is None:
            return "1 = 1", ()
        return f"{conversation_column} IN (SELECT id FROM conversations WHERE owner = ?)", (self.owner,)


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
        """Whether this owner (or, unscoped, anyone) has a conversation with this id."""
        mine, params = self._mine("id")
        with self._connect() as db:
            row = db.execute(f"SELECT 1 FROM conversations WHERE id = ? AND {mine}",
                             (conversation_id, *params)).fetchone()
        return row is not None

    def belongs_to_someone_else(self, conversation_id: str) -> bool:
        """Whether another owner has this conversation: an address copied from a colleague's browser."""
        with self._connect() as db:
            row = db.execute("SELECT owner FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return row is not None and self.owner is not None and row["owner"] != self.owner

    def add_turn(self, conversation_id: str, question: str, answer: dict) -> Turn:
        """Append a turn, creating the conversation (titled by its first question) if needed."""
        now = _now()
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO conversations (id, title, created_at, updated_at, owner) "
                "VALUES (?, ?, ?, ?, ?)",
                (conversation_id, _title(question), now, now, self.owner or ""),
            )
            owner = db.execute("SELECT owner FROM conversations WHERE id = ?",
                               (conversation_id,)).fetchone()["owner"]
            if self.owner is not None and owner != self.owner:
                raise AssistantError("This conversation belongs to another browser; start a new one.")
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
        mine, params = self._mine("conversation_id")
        with self._connect() as db:
            rows = db.execute(
                f"SELECT * FROM turns WHERE conversation_id = ? AND {mine} ORDER BY position",
                (conversation_id, *params),
            ).fetchall()
        return [_turn(row) for row in rows]

    def history(self, conversation_id: str) -> list[tuple[str, str]]:
        """(question, answer) pairs, oldest first, as `Assistant.ask(history=...)` wants them."""
        return [(t.question, t.answer_text) for t in self.turns(conversation_id)]

    def conversations(self, limit: int = 20) -> list[ConversationSummary]:
        """This owner's conversations, most recent first."""
        mine, params = self._mine("c.id")
        with self._connect() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.updated_at, COUNT(t.id) AS n FROM conversations c "
                f"LEFT JOIN turns t ON t.conversation_id = c.id WHERE {mine} GROUP BY c.id "
                "ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [ConversationSummary(r["id"], r["title"], r["updated_at"], r["n"]) for r in rows]

    def clear(self, conversation_id: str) -> None:
        """Forget a conversation, its feedback and its briefing."""
        mine, params = self._mine("id")
        with self._connect() as db:
            found = db.execute(f"SELECT 1 FROM conversations WHERE id = ? AND {mine}",
                               (conversation_id, *params)).fetchone()
            if found:
                db.execute("DELETE FROM turns WHERE conversation_id = ?", (conversation_id,))
                db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def set_feedback(self, turn_id: int, rating: int | None, comment: str = "") -> None:
        if rating not in (None, 1, -1):
            raise ValueError("rating must be +1, -1 or None")
        mine, params = self._mine("conversation_id")
        with self._connect() as db:
            db.execute(
                f"UPDATE turns SET rating = ?, comment = ?, rated_at = ? WHERE id = ? AND {mine}",
                (rating, comment.strip(), _now(), turn_id, *params),
            )

    def rated_turns(self) -> list[Turn]:
        """Every turn of this owner's with a rating or a comment, oldest first, for export."""
        mine, params = self._mine("conversation_id")
        with self._connect() as db:
            rows = db.execute(
                f"SELECT * FROM turns WHERE (rating IS NOT NULL OR comment != '') AND {mine} ORDER BY id",
                params,
            ).fetchall()
        return [_turn(row) for row in rows]

    def pin(self, turn_id: int, pinned: bool = True) -> None:
        """Add a turn to its conversation's briefing (at the end), or take it out."""
        mine, params = self._mine("conversation_id")
        with self._connect() as db:
            if not pinned:
                db.execute(f"UPDATE turns SET pinned = NULL WHERE id = ? AND {mine}", (turn_id, *params))
                return
            db.execute(
                "UPDATE turns SET pinned = (SELECT COALESCE(MAX(pinned), 0) + 1 FROM turns "
                "WHERE conversation_id = (SELECT conversation_id FROM turns WHERE id = ?)) "
                f"WHERE id = ? AND pinned IS NULL AND {mine}",
                (turn_id, turn_id, *params),
            )

    def briefing(self, conversation_id: str) -> BriefingDraft:
        mine, params = self._mine("id")
        with self._connect() as db:
            row = db.execute(
                "SELECT briefing_title, briefing_notes, briefing_purpose FROM conversations "
                f"WHERE id = ? AND {mine}",
                (conversation_id, *params),
            ).fetchone()
            rows = db.execute(
                "SELECT * FROM turns WHERE conversation_id = ? AND pinned IS NOT NULL ORDER BY pinned",
                (conversation_id,),
            ).fetchall() if row else []
        if row is None:
            return BriefingDraft("", "", [])
        return BriefingDraft(row["briefing_title"], row["briefing_notes"], [_turn(r) for r in rows],
                             row["briefing_purpose"])

    def set_briefing_text(self, conversation_id: str, title: str, notes: str, purpose: str = "") -> None:
        mine, params = self._mine("id")
        with self._connect() as db:
            db.execute(
                "UPDATE conversations SET briefing_title = ?, briefing_notes = ?, briefing_purpose = ? "
                f"WHERE id = ? AND {mine}",
                (title, notes, purpose, conversation_id, *params),
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
