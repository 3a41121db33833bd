"""The real chat app run in-process with Streamlit's AppTest, against real indexes in temp folders."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from docx import Document
from streamlit.testing.v1 import AppTest

from assistant.store.catalogue import Catalogue
from assistant.workspace.briefing import build_briefing
from assistant.workspace.briefing_export import to_docx
from assistant.workspace.conversations import ConversationStore
from assistant.workspace.safe_text import unescape_markdown
from ui.owner import OWNER

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")
TIMEOUT = 180  # the first run loads the embedding model


@pytest.fixture
def app_env(monkeypatch, tmp_path, mini_index):
    """Point the app at the mini index and a private data folder; returns that folder."""
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_INDEX", str(mini_index.index))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", "")
    return data


def start(query_params: dict | None = None, owner: str | None = None) -> AppTest:
    """A new browser session; `owner` makes it the same browser as an earlier one (its cookie)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query_params or {})
    if owner:
        at.session_state[OWNER] = owner
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def add_upload(at: AppTest, name: str, data: bytes, mime: str, cancel: bool = False) -> AppTest:
    """Choose a file, press Add, then poll as the page's fragment does until the worker is done."""
    at.get("file_uploader")[0].set_value((name, data, mime)).run()
    at.button(key="add_document").click().run()
    if cancel:
        at.button(key="cancel_upload").click().run()
    deadline = time.monotonic() + TIMEOUT
    while "upload_job" in at.session_state:
        assert time.monotonic() < deadline, f"adding {name} did not finish"
        time.sleep(0.2)
        at.run()
    assert not at.exception, at.exception
    return at


def texts(block) -> list[str]:
    """Markdown shown in a block, as the reader sees it (escapes removed)."""
    return [unescape_markdown(m.value) for m in block.markdown]


def labels(at: AppTest, key_prefix: str = "") -> list[str]:
    return [unescape_markdown(b.label) for b in at.button if (b.key or "").startswith(key_prefix)]


def store(data: Path) -> ConversationStore:
    return ConversationStore(data / "conversations.sqlite3")


def test_starters_then_a_cited_answer_with_checkable_sources(app_env):
    at = start()
    starters = labels(at, "starter-")
    assert len(starters) >= 3
    assert any("open data" in s.lower() or "data" in s.lower() for s in starters)

    ask(at, "Who should own the digital plan?")
    user, assistant = at.chat_message[0], at.chat_message[1]
    assert texts(user) == ["Who should own the digital plan?"]
    answer = texts(assistant)[0]
    assert "[1]" in answer and "chief digital officer" in answer.lower()
    sources = [unescape_markdown(e.label) for e in at.expander]
    assert any("1.1 A chief digital officer" in s and "mini-guide.md" in s for s in sources)
    # The expander quotes the passage with the cited sentences in bold.
    marked = [t for e in at.expander for t in texts(e) if ":orange-background[**" in t]
    assert marked and any(m.split("[**")[1].split(" ")[0] in answer for m in marked)
    # Two or three related questions follow the answer.
    related = labels(at, "related-")
    assert 2 <= len(related) <= 3 and all(q.endswith("?") for q in related)
    cid = at.query_params["c"]
    turns = store(app_env).turns(cid)
    assert [t.question for t in turns] == ["Who should own the digital plan?"]
    assert turns[0].answer["citations"]


def test_whole_section_can_be_read_from_a_citation(app_env):
    at = ask(start(), "What is open data?")
    before = sum(len(e.markdown) for e in at.expander)
    key = next(t.key for t in at.toggle if t.key.startswith("whole-"))
    at.toggle(key=key).set_value(True).run()
    shown = [t for e in at.expander for t in texts(e)]
    assert len(shown) > before
    assert any("Personal information about residents is never published as open data." in t
               for t in shown)


def test_follow_up_is_answered_in_context(app_env):
    at = ask(start(), "What is open data?")
    ask(at, "Who can use it?")
    turns = store(app_env).turns(at.query_params["c"])
    assert len(turns) == 2
    follow_up = turns[1].answer
    assert follow_up["standalone_question"] and "open data" in follow_up["standalone_question"].lower()
    assert [c["title"] for c in follow_up["citations"]][0] == "2.1 Open data"


def test_refusal_is_one_message_with_closest_sections_and_nothing_to_brief(app_env):
    at = ask(start(), "What is the best recipe for chocolate cake?")
    shown = texts(at.chat_message[1])
    assert len(shown) == 1 and "does not" in shown[0], shown  # said once, not twice
    assert not [b for b in at.button if b.key.startswith("pin-")]  # no "Add to briefing"
    closest = [b for b in at.button if unescape_markdown(b.label).startswith("Read: ")]
    assert closest
    title = unescape_markdown(closest[0].label)[len("Read: "):]
    closest[0].click().run()
    assert title in [unescape_markdown(h.value) for h in at.subheader]


def test_related_question_button_asks_it(app_env):
    at = ask(start(), "What is open data?")
    related = next(b for b in at.button if b.key.startswith("related-"))
    question = unescape_markdown(related.label)
    related.click().run()
    turns = store(app_env).turns(at.query_params["c"])
    assert [t.question for t in turns] == ["What is open data?", question]


def test_briefing_pins_answers_and_exports(app_env):
    # Two questions long enough to stand alone, so the note keeps both as asked.
    at = ask(start(), "What is open data and who is allowed to use it?")
    ask(at, "Which senior officer leads digital change across the council?")
    pins = [b for b in at.button if b.key.startswith("pin-")]
    pins[1].click().run()
    pins = [b for b in at.button if b.key.startswith("pin-")]
    pins[0].click().run()  # pinned second: the briefing keeps pinning order
    cid = at.query_params["c"]
    title_box = next(t for t in at.text_input if t.label == "Briefing title")
    title_box.set_value("Digital leadership for members").run()
    notes = next(t for t in at.text_area if t.label == "Officer notes")
    notes.set_value("For the member induction on Monday.").run()
    purpose = next(t for t in at.text_input if t.label == "Purpose (one line)")
    purpose.set_value("To prepare members for the budget debate.").run()
    assert [d.label for d in at.get("download_button")][-2:] == [
        "Download as Word (.docx)", "Download as Markdown (.md)"]

    draft = store(app_env).briefing(cid)
    assert draft.title == "Digital leadership for members"
    assert draft.purpose == "To prepare members for the budget debate."
    assert [t.question for t in draft.turns] == [
        "Which senior officer leads digital change across the council?",
        "What is open data and who is allowed to use it?"]
    doc = Document(io.BytesIO(to_docx(build_briefing(draft.title, draft.notes, draft.turns,
                                                     purpose=draft.purpose))))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "Digital leadership for members"
    assert "Purpose: To prepare members for the budget debate." in paragraphs
    assert "For the member induction on Monday." in paragraphs
    questions = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert len(questions) == 2 and questions[0].startswith("1. ") and questions[1].startswith("2. ")
    assert questions[0] == "1. Which senior officer leads digital change across the council?"  # pinning order


def test_feedback_is_stored_with_comment(app_env):
    at = ask(start(), "What is open data?")
    next(b for b in at.button if b.key.startswith("up-")).click().run()
    comment = next(t for t in at.text_input if t.key.startswith("comment-"))
    comment.set_value("Clear and short.")
    next(b for b in at.button if b.label == "Save comment").click().run()
    rated = store(app_env).rated_turns()
    assert [(t.question, t.rating, t.comment) for t in rated] == [
        ("What is open data?", 1, "Clear and short.")]
    assert "Feedback saved: helpful." in [c.value for c in at.caption]
    assert {d.label for d in at.get("download_button")} >= {
        "Download feedback (CSV)", "Download feedback (JSON lines)"}


def test_reload_restores_and_clear_forgets(app_env):
    first = ask(start(), "What is open data?")
    cid, owner = first.query_params["c"], first.session_state[OWNER]
    again = start({"c": cid}, owner)  # a new session in the same browser on the same address: a reload
    assert texts(again.chat_message[0]) == ["What is open data?"]
    assert "[1]" in texts(again.chat_message[1])[0]
    other = ask(start(owner=owner), "Who should own the digital plan?")
    past = [b for b in other.button if b.key == f"past-{cid}"]
    assert past, "the earlier conversation is listed"
    past[0].click().run()
    assert other.query_params["c"] == cid
    other.button(key="clear_conversation").click().run()
    assert not store(app_env).exists(cid)
    assert other.query_params["c"] != cid and not other.chat_message


def test_a_colleague_on_the_same_server_sees_none_of_it(app_env):
    mine = ask(start(), "What is open data?")
    next(b for b in mine.button if b.key.startswith("up-")).click().run()
    cid = mine.query_params["c"]
    colleague = start({"c": cid})  # another browser, even with my address pasted in
    assert colleague.session_state[OWNER] != mine.session_state[OWNER]
    assert colleague.query_params["c"] != cid and not colleague.chat_message
    assert "belongs to another browser" in colleague.toast[0].value
    assert not [b for b in colleague.button if b.key.startswith("past-")]
    assert not [d for d in colleague.get("download_button") if "feedback" in d.label.lower()]
    assert [t.question for t in store(app_env).turns(cid)] == ["What is open data?"]


def test_blank_question_gets_one_sentence_and_long_ones_are_capped(app_env, monkeypatch):
    monkeypatch.setenv("ASSISTANT_MAX_QUESTION_CHARS", "40")
    at = ask(start(), "   ")
    assert len(at.warning) == 1 and at.warning[0].value.endswith(".")
    assert not store(app_env).conversations()
    ask(at, "x" * 30 + " " + "y" * 30)  # the box itself stops at the limit, as in the browser
    turns = store(app_env).turns(at.query_params["c"])
    assert len(turns) == 1 and len(turns[0].question) == 40


def test_upload_adds_a_document_and_keeps_guide_text_inert(tmp_path, monkeypatch, fresh_copy):
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_INDEX", str(fresh_copy.index))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    before = Catalogue.open(fresh_copy).info()["sections"]
    at = start()
    add_upload(at, "broken.pdf", b"this is not a PDF at all", "application/pdf")
    assert at.error and "broken.pdf" in unescape_markdown(at.error[0].value)
    assert Catalogue.open(fresh_copy).info()["sections"] == before

    # Plain text keeps markup as typed, so this is what a hostile guide looks like on the page.
    hostile = (b"Parking permits\n\nResidents apply for a parking permit online or at the library. "
               b"<script>alert('x')</script> See [the form](javascript:alert(1)) for details.\n")
    add_upload(at, "parking.txt", hostile, "text/plain")
    assert not at.error, [e.value for e in at.error]
    assert "parking.txt" in unescape_markdown(at.success[0].value)
    assert Catalogue.open(fresh_copy).info()["sections"] > before
    assert (data / "uploads" / "parking.txt").exists()

    # A new upload may not take the name of a document already indexed; it would replace it.
    add_upload(at, "mini-guide.md", b"# Other\n\nText.\n", "text/markdown")
    assert "already in the index" in unescape_markdown(at.error[0].value)
    assert "chief digital officer" in " ".join(s.text for s in Catalogue.open(fresh_copy).sections.values())

    ask(at, "How do residents apply for a parking permit?")
    answer = texts(at.chat_message[1])[0]
    assert "parking permit" in answer and "[1]" in answer
    # Guide text reaches the page escaped: the link and the script are shown as text, never run.
    key = next(t.key for t in at.toggle if t.key.startswith("whole-"))
    at.toggle(key=key).set_value(True).run()
    shown = [m.value for m in at.markdown]
    assert any("\\<script\\>" in v for v in shown)
    assert any("javascript\\:alert" in v for v in shown)
    assert not any("<script>" in v.replace("\\<", "") or "](javascript" in v for v in shown)


def test_a_refused_upload_shows_its_sentence_in_the_sidebar_and_cancel_stops_one(tmp_path, monkeypatch,
                                                                               fresh_copy, embedder):
    from hostile_files import word_bomb
    from index_state import observe
    from test_crash_safety import _big_guide

    monkeypatch.setenv("ASSISTANT_INDEX", str(fresh_copy.index))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    before = observe(fresh_copy, embedder)
    at = start()
    bomb = word_bomb(tmp_path / "minutes.docx").read_bytes()  # 1 MB that unpacks to 220 MB
    add_upload(at, "minutes.docx", bomb, "application/octet-stream")
    shown = [unescape_markdown(e.value) for e in at.sidebar.error]
    assert len(shown) == 1 and shown[0].startswith("minutes.docx declares more than 150 MB")
    assert "raise ASSISTANT_MAX_UNPACKED_MB to read it" in shown[0]
    assert not (tmp_path / "data" / "uploads" / "minutes.docx").exists()

    guide = _big_guide(tmp_path / "highways.md").read_bytes()
    add_upload(at, "highways.md", guide, "text/markdown", cancel=True)
    shown = [unescape_markdown(e.value) for e in at.sidebar.error]
    assert shown == ["Adding highways.md was cancelled; nothing in the index was changed."]
    assert observe(fresh_copy, embedder) == before


def test_language_model_answer_streams_through_the_app(app_env, monkeypatch):
    from openai_stub import Reply, StubOpenAI

    with StubOpenAI() as stub:
        monkeypatch.setenv("ASSISTANT_LLM", "openai")
        monkeypatch.setenv("ASSISTANT_LLM_MODEL", "stub-model")
        monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", stub.url)
        monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "10")
        at = start()
        assert at.radio(key="answer_mode").options == [
            "Written by the language model (stub-model), cited", "Quoted from the guide (extractive)"]
        stub.queue(Reply("Open data is published for anyone to use [1]. It excludes personal data [7].",
                         pieces=5))
        ask(at, "What is open data?")
        assert stub.requests and stub.requests[-1]["stream"] is True
        # The streamed text is replaced by the checked one: the marker with no excerpt is gone.
        answer = texts(at.chat_message[1])[0]
        assert answer == "Open data is published for anyone to use [1]. It excludes personal data."
        notes = [unescape_markdown(c.value) for c in at.chat_message[1].caption]
        removed = [n for n in notes if "excerpt numbers that do not exist" in n]
        assert len(removed) == 1 and removed[0].startswith("Note: ")  # said once, not twice
        turn = store(app_env).turns(at.query_params["c"])[0]
        assert turn.answer["mode"] == "llm" and turn.answer["citations"]

        at.radio(key="answer_mode").set_value("extractive").run()
        requests = len(stub.requests)
        ask(at, "Who should own the digital plan?")
        assert len(stub.requests) == requests  # extractive mode never calls the model


def test_sidebar_search_opens_a_section_and_details_show_scores(app_env):
    at = start()
    at.text_input(key="section_search").set_value("open data").run()
    found = [b for b in at.sidebar.button if b.key.startswith("search-")]
    assert unescape_markdown(found[0].label) == "2.1 Open data"
    found[0].click().run()
    assert "2.1 Open data" in [unescape_markdown(h.value) for h in at.subheader]
    assert any("Personal information about residents" in t for t in texts(at.main))
    at.button(key="reader_close").click().run()
    assert "2.1 Open data" not in [unescape_markdown(h.value) for h in at.subheader]

    at.toggle(key="show_details").set_value(True).run()
    ask(at, "What is open data?")
    assert at.table, "retrieval details list the ranked sections"
    shown = " ".join(unescape_markdown(c.value) for c in at.caption)
    assert "Timings: check" in shown and "retrieve" in shown and "total" in shown


def test_glossary_lookup_in_the_sidebar(monkeypatch, tmp_path, corpus_index):
    monkeypatch.setenv("ASSISTANT_INDEX", str(corpus_index.index))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    at = start()
    at.text_input(key="glossary_term").set_value("API").run()
    definitions = texts(at.sidebar)
    assert any(d.startswith("**API**") and "application programming interface" in d for d in definitions)
    # Opened from the contents, the glossary chapter lists its terms, each a button to read it.
    sections = Catalogue.open(corpus_index).sections
    glossary = next(sid for sid, s in sections.items() if s.title.endswith("Glossary"))
    at.selectbox(key="toc_pick").set_value(glossary).run()
    terms = {unescape_markdown(b.label): b for b in at.button if b.key.startswith("reader-child-")}
    assert len(terms) > 10 and "API" in terms
    terms["API"].click().run()
    assert "API" in [unescape_markdown(h.value) for h in at.subheader]
