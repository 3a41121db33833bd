"""The chat page for councillors and officers. Start it with `assistant serve`.

Order of a run: settings -> model and index (once per server) -> this browser's owner id (a cookie;
ui/owner.py) -> this session's conversation (its id is in the address, so a reload brings it back;
only the browser that owns it can open it) -> sidebar -> conversation (with the section being
read, if any) and briefing tabs -> the question box. Everything that answers, stores or exports
lives in `assistant`.
"""

from __future__ import annotations

import streamlit as st

import assistant  # noqa: F401  (offline and no-telemetry environment, before anything loads)
from assistant.errors import AssistantError
from assistant.settings import Settings
from assistant.workspace.briefing import reference_text
from assistant.workspace.browse import question_about, starter_questions, subsections
from assistant.workspace.conversations import data_folder, new_conversation_id, valid_conversation_id
from assistant.workspace.safe_text import escape_markdown as esc
from ui import actions
from ui.answers import ask, show_turn
from ui.briefing_panel import show_briefing
from ui.owner import browser_owner
from ui.resources import Context, load_assistant, load_store
from ui.sidebar import settings_controls, show_sidebar

PRIVACY = "Runs on this computer: nothing you type, read or upload leaves this machine."


def main() -> None:
    st.set_page_config(page_title="Council guide assistant", page_icon="📘", layout="centered")
    st.title("Council guide assistant")
    st.caption("Ask about the councillors' guide in plain words. Every answer quotes the guide and "
               "numbers its sources, so you can check each one. " + PRIVACY)
    ctx = _context()
    show_sidebar(ctx)
    ctx.mode, ctx.show_details = settings_controls(ctx)
    turns = ctx.store.turns(ctx.conversation_id)
    conversation, briefing = st.tabs(["Conversation", f"Briefing ({_pinned(turns)} pinned)"])
    typed = st.chat_input("Ask a question about the guide", max_chars=ctx.settings.max_question_chars)
    question = typed or actions.take_pending()
    with conversation:
        if not turns and not question:
            _starters(ctx)
        for turn in turns:
            show_turn(turn, ctx)
        if question:
            ask(question, ctx)
        _reader(ctx)  # last, next to the question box, where the page is scrolled to
    with briefing:
        show_briefing(ctx)


def _context() -> Context:
    """Settings, the shared model and index, and this session's conversation; stops on a problem."""
    try:
        settings = Settings.load()
        loaded = load_assistant(repr(settings), settings)  # one Assistant per distinct settings
        store = load_store(str(data_folder(settings) / "conversations.sqlite3"))
    except AssistantError as exc:
        st.error(esc(str(exc)))
        st.stop()
    store = store.owned_by(browser_owner())  # everything below sees only this browser's work
    if actions.CONVERSATION not in st.session_state:
        wanted = st.query_params.get("c")
        someone_elses = valid_conversation_id(wanted) and store.belongs_to_someone_else(wanted)
        if someone_elses:
            st.toast("That conversation belongs to another browser, so this is a new one.")
        usable = valid_conversation_id(wanted) and not someone_elses
        st.session_state[actions.CONVERSATION] = wanted if usable else new_conversation_id()
    conversation_id = st.session_state[actions.CONVERSATION]
    if st.query_params.get("c") != conversation_id:
        st.query_params["c"] = conversation_id
    return Context(settings, loaded, store, conversation_id)


def _pinned(turns) -> int:
    return sum(1 for t in turns if t.pinned is not None)


def _starters(ctx: Context) -> None:
    st.markdown("**Not sure where to start? Try one of these:**")
    for i, question in enumerate(starter_questions(ctx.sections.values())):
        st.button(esc(question), key=f"starter-{i}", on_click=actions.ask_later, args=(question,))


def _reader(ctx: Context) -> None:
    """The section chosen from the contents, a search, or a closest-section button."""
    sid = st.session_state.get(actions.READING)
    section = ctx.sections.get(sid) if sid else None
    if section is None:
        return
    with st.container(border=True):
        st.subheader(esc(section.title))
        citation = {"path": list(section.path), "source": section.source, "page": section.page_start,
                    "page_end": section.page_end}
        st.caption(esc(reference_text(citation)))
        for paragraph in section.paragraphs:
            st.markdown(esc(" ".join(paragraph.split())))
        below = subsections(ctx.sections.values(), section)
        if below:
            st.markdown("**In this section:**")
        for child in below:
            st.button(esc(child.title), key=f"reader-child-{child.section_id}",
                      on_click=actions.open_section, args=(child.section_id,))
        ask_col, close_col = st.columns(2)
        ask_col.button(esc(question_about(section.title, section.path)), key="reader_ask",
                       on_click=actions.ask_about, args=(question_about(section.title, section.path),))
        close_col.button("Close this section", key="reader_close", on_click=actions.close_section)


main()
