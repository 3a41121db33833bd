"""What the app loads once per server process and shares between browser sessions."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import streamlit as st

from assistant.answer.pipeline import Assistant
from assistant.embed.model import Embedder
from assistant.ingest.documents import Section
from assistant.settings import Settings
from assistant.workspace.conversations import ConversationStore

# One refresh at a time: several sessions may notice a new index at once.
_REFRESH = threading.Lock()


@st.cache_resource(show_spinner="Loading the guide and the search model (first start only)…")
def load_assistant(key: str, _settings: Settings) -> Assistant:
    """The embedding model and index, loaded once per `key` (the settings that matter)."""
    return Assistant(_settings)


@st.cache_resource(show_spinner=False)
def load_store(path: str) -> ConversationStore:
    from pathlib import Path

    return ConversationStore(Path(path))


@st.cache_resource(show_spinner="Loading the model that reads documents (first upload only)…")
def _document_embedder(model: str) -> Embedder:
    return Embedder(model)


def ingest_embedder(assistant: Assistant) -> Embedder:
    """The full embedding model for ingesting; questions may be served by a lighter encoder."""
    if isinstance(assistant.embedder, Embedder):
        return assistant.embedder
    return _document_embedder(assistant.settings.model)


def refresh(assistant: Assistant) -> bool:
    """Pick up an index published since it was loaded (an upload, or `assistant ingest`)."""
    with _REFRESH:
        return assistant.refresh()


@dataclass
class Context:
    """Everything one run of the page needs, passed to the rendering functions."""

    settings: Settings
    assistant: Assistant
    store: ConversationStore
    conversation_id: str
    mode: str = "extractive"
    show_details: bool = False

    @property
    def sections(self) -> dict[str, Section]:
        return self.assistant.index.sections
