"""The sidebar: the guide's contents, search and glossary, adding a document, settings, conversations."""

from __future__ import annotations

import streamlit as st

from assistant.answer.streaming import answer_modes
from assistant.ingest.documents import table_of_contents
from assistant.ingest.uploads import UPLOAD_TYPES, UploadJob
from assistant.workspace import feedback
from assistant.workspace.browse import glossary_entries, glossary_lookup, search_sections
from assistant.workspace.safe_text import escape_markdown as esc
from ui import actions
from ui.resources import Context, ingest_embedder, refresh

MODE_LABELS = {"extractive": "Quoted from the guide (extractive)"}


def show_sidebar(ctx: Context) -> None:
    with st.sidebar:
        st.header("The guide")
        _contents(ctx)
        _search(ctx)
        _glossary(ctx)
        _add_document(ctx)
        _conversations(ctx)
        _feedback_export(ctx)


def settings_controls(ctx: Context) -> tuple[str, bool]:
    """Answer mode and the retrieval-details switch; returns (mode, show_details)."""
    with st.sidebar:
        st.header("Settings")
        modes = answer_modes(ctx.assistant)
        model = ctx.settings.llm_model or ctx.settings.llm
        mode = st.radio(
            "Answer mode", modes, key="answer_mode",
            format_func=lambda m: MODE_LABELS.get(m, f"Written by the language model ({model}), cited"),
            help="Extractive answers quote the guide word for word. A language model is offered "
                 "only when one is configured (the `llm` setting).",
        )
        details = st.toggle("Show retrieval details (scores, timings)", key="show_details")
    return mode or "extractive", details


def _contents(ctx: Context) -> None:
    toc = table_of_contents(ctx.sections.values())
    names = {s.section_id: "\u00a0\u00a0" * (s.level - 1) + s.title for s in toc}
    st.selectbox(
        "Contents: open a section", list(names), index=None, key="toc_pick",
        format_func=lambda sid: names.get(sid, sid), placeholder="Choose a section to read",
        on_change=actions.open_from_widget, args=("toc_pick",),
    )


def _search(ctx: Context) -> None:
    query = st.text_input("Search the guide", key="section_search", placeholder="e.g. open data")
    if not query.strip():
        return
    found = search_sections(ctx.sections.values(), query, limit=8)
    if not found:
        st.caption("No section mentions all of those words.")
    for s in found:
        st.button(esc(s.title), key=f"search-{s.section_id}", on_click=actions.open_section,
                  args=(s.section_id,))


def _glossary(ctx: Context) -> None:
    if not glossary_entries(ctx.sections.values()):
        return  # this guide has no glossary
    term = st.text_input("Glossary: look up a term", key="glossary_term", placeholder="e.g. API")
    if not term.strip():
        return
    definitions = glossary_lookup(ctx.sections.values(), term)
    if not definitions:
        st.caption("The glossary has no entry for that term.")
    for d in definitions:
        st.markdown(f"**{esc(d.term)}**: {esc(d.text)}")


def _add_document(ctx: Context) -> None:
    st.header("Add a document")
    limit = ctx.settings.max_upload_mb
    generation = st.session_state.setdefault("upload_generation", 0)
    upload = st.file_uploader(
        "Document to add (PDF, Word, Markdown or text)", type=list(UPLOAD_TYPES),
        key=f"upload-{generation}", max_upload_size=limit,
        help=f"Up to {limit} MB. It is added to the index on this computer; nothing already "
             "indexed is lost.",
    )
    if "upload_job" in st.session_state:
        _upload_progress(ctx.assistant)
        return
    done = st.session_state.pop("upload_done", None)
    if done:
        st.success(esc(done))
    refused = st.session_state.pop("upload_refused", None)
    if refused:
        st.error(esc(refused))
    if upload is None or not st.button("Add to the guide", key="add_document"):
        return
    # Read and embedded on a worker thread: this run, and everyone else's, carries on meanwhile.
    sources = {s.source for s in ctx.sections.values()}
    st.session_state["upload_job"] = UploadJob(upload.name, upload.getvalue(), ctx.settings,
                                               ingest_embedder(ctx.assistant), sources)
    _upload_progress(ctx.assistant)


@st.fragment(run_every=0.5)
def _upload_progress(assistant) -> None:
    """The running upload's progress and a Cancel button, redrawn alone twice a second."""
    job: UploadJob | None = st.session_state.get("upload_job")
    if job is None:
        return
    if not job.finished:
        st.progress(job.fraction, text=esc(job.status()))
        st.button("Cancel", key="cancel_upload", on_click=job.cancel,
                  help="Stop adding this document; the index stays as it was.")
        return
    del st.session_state["upload_job"]
    result = job.result
    if result.ok:
        refresh(assistant)
        st.session_state["upload_done"] = result.message
        st.session_state["upload_generation"] = st.session_state.get("upload_generation", 0) + 1
    else:
        st.session_state["upload_refused"] = result.message
    st.rerun()  # the whole page: the contents and the message below the uploader change


def _conversations(ctx: Context) -> None:
    st.header("Conversations")
    st.button("New conversation", key="new_conversation", on_click=actions.new_conversation)
    st.button("Clear this conversation", key="clear_conversation", on_click=_clear, args=(ctx,))
    past = [c for c in ctx.store.conversations(limit=10) if c.id != ctx.conversation_id]
    if past:
        st.caption("Your past conversations (only this browser can see them):")
    for c in past:
        st.button(esc(f"{c.title} ({c.turns} question{'s' if c.turns != 1 else ''})"),
                  key=f"past-{c.id}", on_click=actions.switch_conversation, args=(c.id,))


def _clear(ctx: Context) -> None:
    ctx.store.clear(ctx.conversation_id)
    actions.new_conversation()


def _feedback_export(ctx: Context) -> None:
    rated = ctx.store.rated_turns()
    if not rated:
        return
    st.header("Feedback")
    st.caption(f"{len(rated)} of your answers rated or commented on, kept for this browser only.")
    st.download_button("Download feedback (CSV)", feedback.to_csv(rated), file_name="feedback.csv",
                       mime="text/csv", key="feedback_csv", on_click="ignore")
    st.download_button("Download feedback (JSON lines)", feedback.to_jsonl(rated),
                       file_name="feedback.jsonl", mime="application/jsonl", key="feedback_jsonl",
                       on_click="ignore")
