"""The briefing panel: pinned answers in order, an editable title and officer notes, and downloads."""

from __future__ import annotations

import streamlit as st

from assistant.workspace.briefing import (
    DEFAULT_TITLE,
    build_briefing,
    file_stem,
    provenance_line,
    to_docx,
    to_markdown,
)
from assistant.workspace.safe_text import escape_markdown as esc
from ui.resources import Context

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def show_briefing(ctx: Context) -> None:
    st.subheader("Briefing note")
    if not ctx.store.exists(ctx.conversation_id):
        st.info("Ask a question first, then use “Add to briefing” under an answer to pin it here.")
        return
    draft = ctx.store.briefing(ctx.conversation_id)
    title_key, notes_key = f"briefing-title-{ctx.conversation_id}", f"briefing-notes-{ctx.conversation_id}"
    st.session_state.setdefault(title_key, draft.title or DEFAULT_TITLE)
    st.session_state.setdefault(notes_key, draft.notes)
    st.text_input("Briefing title", key=title_key, on_change=_save_text, args=(ctx, title_key, notes_key))
    st.text_area("Officer notes", key=notes_key, on_change=_save_text, args=(ctx, title_key, notes_key),
                 help="Your own notes; they appear at the top of the exported briefing.")
    if not draft.turns:
        st.info("No answers pinned yet. Use “Add to briefing” under an answer.")
        return
    for i, turn in enumerate(draft.turns, 1):
        with st.container(border=True):
            st.markdown(f"**{i}\\. {esc(turn.question)}**")
            st.markdown(esc(turn.answer_text))
            st.button("Remove from briefing", key=f"briefing-remove-{turn.id}",
                      on_click=ctx.store.pin, args=(turn.id, False))
    index = ctx.assistant.index
    provenance = provenance_line(
        ctx.sections.values(), index.name,
        index.info.built_at if index.info else None, index.info.model if index.info else None,
    )
    briefing = build_briefing(st.session_state[title_key], st.session_state[notes_key], draft.turns,
                              provenance)
    stem = file_stem(briefing.title)
    word, markdown = st.columns(2)
    word.download_button("Download as Word (.docx)", to_docx(briefing), file_name=f"{stem}.docx",
                         mime=DOCX_MIME, key="briefing_docx", on_click="ignore")
    markdown.download_button("Download as Markdown (.md)", to_markdown(briefing),
                             file_name=f"{stem}.md", mime="text/markdown", key="briefing_md",
                             on_click="ignore")
    st.caption(esc(provenance))


def _save_text(ctx: Context, title_key: str, notes_key: str) -> None:
    ctx.store.set_briefing_text(ctx.conversation_id, st.session_state[title_key],
                                st.session_state[notes_key])
