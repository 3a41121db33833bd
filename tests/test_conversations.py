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
