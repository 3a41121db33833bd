"""Button callbacks: they only change this browser session's state; the next run renders it."""

from __future__ import annotations

import streamlit as st

from assistant.workspace.conversations import new_conversation_id

PENDING = "pending_question"
READING = "reading_section"
CONVERSATION = "conversation_id"


def ask_later(question: str) -> None:
    st.session_state[PENDING] = question


def ask_about(question: str) -> None:
    """Ask from the section reader, which then closes so the answer is what comes next."""
    ask_later(question)
    close_section()


def take_pending() -> str | None:
    return st.session_state.pop(PENDING, None)


def open_section(section_id: str) -> None:
    st.session_state[READING] = section_id


def close_section() -> None:
    st.session_state[READING] = None


def open_from_widget(key: str) -> None:
    """on_change of a section picker: open what was picked."""
    if st.session_state.get(key):
        open_section(st.session_state[key])


def switch_conversation(conversation_id: str) -> None:
    st.session_state[CONVERSATION] = conversation_id
    st.query_params["c"] = conversation_id
    close_section()


def new_conversation() -> None:
    switch_conversation(new_conversation_id())
