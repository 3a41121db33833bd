"""The local conversation store and the feedback export built on it (real SQLite files)."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest

from assistant.errors import AssistantError
from assistant.settings import Settings
from assistant.workspace import feedback
from assistant.workspace.conversations import (
    ConversationStore,
    data_folder,
    new_conversation_id,
    valid_conversation_id,
)


def answer(text: str, *titles: str, refused: bool = False) -> dict:
    citations = [{"n": i, "section_id": f"s{i}", "title": t, "path": [t], "source": "g.md", "page": None,
                  "quote": "q"} for i, t in enumerate(titles, 1)]
    return {"answer": text, "refused": refused, "citations": citations}


@pytest.fixture
def store(tmp_path) -> ConversationStore:
    return ConversationStore(tmp_path / "data" / "conversations.sqlite3")


def test_turns_history_and_listing(store):
    first, second = new_conversation_id(), new_conversation_id()
    store.add_turn(first, "What is open data?", answer("Open data is free [1].", "2.1 Open data"))
    store.add_turn(first, "Who can use it?", answer("Anyone [1].", "2.1 Open data"))
    store.add_turn(second, "x" * 200, answer("The guide does not say.", refused=True))
    assert store.history(first) == [("What is open data?", "Open data is free [1]."),
                                    ("Who can use it?", "Anyone [1].")]
    assert [t.position for t in store.turns(first)] == [1, 2]
    listed = {c.id: c for c in store.conversations()}
    assert listed[first].title == "What is open data?" and listed[first].turns == 2
    assert len(listed[second].title) <= 80 and listed[second].title.endswith("…")
    store.clear(first)
    assert not store.exists(first) and store.turns(first) == [] and store.exists(second)


def test_briefing_pins_keep_their_order_and_text(store):
    cid = new_conversation_id()
    turns = [store.add_turn(cid, f"Q{i}", answer(f"A{i} [1].", f"T{i}")) for i in range(3)]
    store.pin(turns[2].id)
    store.pin(turns[0].id)
    store.pin(turns[2].id)  # pinning twice keeps its place
    store.set_briefing_text(cid, "Members' briefing", "Notes")
    draft = store.briefing(cid)
    assert [t.question for t in draft.turns] == ["Q2", "Q0"]
    assert (draft.title, draft.notes) == ("Members' briefing", "Notes")
    store.pin(turns[2].id, pinned=False)
    assert [t.question for t in store.briefing(cid).turns] == ["Q0"]


def test_feedback_exports_in_the_eval_set_shape(store):
    cid = new_conversation_id()
    good = store.add_turn(cid, "What is open data?", answer("Free data [1].", "2.1 Open data"))
    bad = store.add_turn(cid, "=HYPERLINK(\"x\")", answer("Wrong [1].", "1 Leadership"))
    store.add_turn(cid, "Unrated", answer("..."))
    store.set_feedback(good.id, 1, "  spot on ")
    store.set_feedback(bad.id, -1)
    with pytest.raises(ValueError):
        store.set_feedback(bad.id, 5)
    rated = store.rated_turns()
    lines = [json.loads(line) for line in feedback.to_jsonl(rated).splitlines()]
    assert [(r["question"], r["rating"], r["gold"], r["comment"]) for r in lines] == [
        ("What is open data?", 1, ["2.1 Open data"], "spot on"),
        ("=HYPERLINK(\"x\")", -1, [], ""),
    ]
    assert {"id", "question", "gold", "kind"} <= set(lines[0])
    rows = list(csv.DictReader(io.StringIO(feedback.to_csv(rated))))
    assert rows[0]["gold"] == "2.1 Open data"
    assert rows[1]["question"].startswith("'=")  # a spreadsheet will not run it as a formula


def test_sessions_writing_at_once_keep_their_own_turns(store):
    ids = [new_conversation_id() for _ in range(8)]

    def chat(cid: str) -> None:
        for i in range(5):
            store.add_turn(cid, f"{cid} {i}", answer("a"))

    threads = [threading.Thread(target=chat, args=(cid,)) for cid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for cid in ids:
        assert [t.question for t in store.turns(cid)] == [f"{cid} {i}" for i in range(5)]


def test_ids_from_the_address_bar_are_checked():
    assert valid_conversation_id(new_conversation_id())
    for bad in ["", "../etc", "x" * 32, "A" * 32, None, ["a" * 32], "'; DROP TABLE turns; --"]:
        assert not valid_conversation_id(bad)


def test_data_folder_defaults_beside_the_index(tmp_path):
    assert data_folder(Settings.load(index=tmp_path / "idx")) == tmp_path / "data"
    assert data_folder(Settings.load(index=tmp_path / "idx", data_dir=str(tmp_path / "d"))) == tmp_path / "d"


def test_unusable_store_location_is_one_sentence(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(AssistantError, match="Cannot open the conversation store"):
        ConversationStore(blocker / "conversations.sqlite3")


def test_each_owner_sees_only_their_own_conversations_feedback_and_briefings(store):
    alice, bob = store.owned_by(new_conversation_id()), store.owned_by(new_conversation_id())
    hers = new_conversation_id()
    turn = alice.add_turn(hers, "What is open data?", answer("Free data [1].", "5.1 Open data"))
    alice.set_feedback(turn.id, 1, "useful")
    alice.pin(turn.id)
    alice.set_briefing_text(hers, "Her note", "Private notes")
    bob.add_turn(new_conversation_id(), "Who leads?", answer("A CDO [1].", "2.3 A CDO"))

    assert [c.id for c in alice.conversations()] == [hers]
    assert hers not in [c.id for c in bob.conversations()]
    assert not bob.exists(hers) and bob.belongs_to_someone_else(hers)
    assert not alice.belongs_to_someone_else(hers)
    assert bob.turns(hers) == [] and bob.history(hers) == []
    assert bob.briefing(hers).turns == [] and bob.briefing(hers).title == ""
    assert [t.question for t in alice.rated_turns()] == ["What is open data?"]
    assert bob.rated_turns() == []

    # Nothing Bob does with her ids reaches her conversation.
    bob.set_feedback(turn.id, -1, "overwritten")
    bob.pin(turn.id, pinned=False)
    bob.set_briefing_text(hers, "Hijacked", "")
    bob.clear(hers)
    with pytest.raises(AssistantError, match="belongs to another browser"):
        bob.add_turn(hers, "Sneaky follow-up", answer("x"))
    kept = alice.turns(hers)
    assert [(t.question, t.rating, t.comment, t.pinned) for t in kept] == [
        ("What is open data?", 1, "useful", 1)]
    assert alice.briefing(hers).title == "Her note"

    # An unscoped store (tests, maintenance) sees both; a malformed owner is refused.
    assert len(store.conversations()) == 2
    with pytest.raises(ValueError):
        store.owned_by("not-an-id")


def test_conversations_saved_before_owners_existed_stay_hidden(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # the schema as it was before the owner column
        db.executescript(
            "CREATE TABLE conversations (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT "
            "NOT NULL, updated_at TEXT NOT NULL, briefing_title TEXT NOT NULL DEFAULT '', "
            "briefing_notes TEXT NOT NULL DEFAULT '');"
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('" + "a" * 32
            + "', 'Old question', '2026-01-01', '2026-01-01');"
        )
    store = ConversationStore(path)
    assert [c.title for c in store.conversations()] == ["Old question"]  # kept on disk
    assert store.owned_by(new_conversation_id()).conversations() == []  # shown to nobody
