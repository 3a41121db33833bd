"""The briefing panel: the note as it will read, an editable title, purpose and officer notes, downloads."""

from __future__ import annotations

import streamlit as st

from assistant.workspace.briefing import (
    DEFAULT_TITLE,
    build_briefing,
    file_stem,
    guide_titles,
    source_line,
    to_markdown,
)
from assistant.workspace.briefing_export import to_docx
from assistant.workspace.safe_text import escape_markdown as esc
from ui.resources import Context

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_FIELDS = ("title", "purpose", "notes")


def show_briefing(ctx: Context) -> None:
    st.subheader("Briefing note")
    if not ctx.store.exists(ctx.conversation_id):
        st.info("Ask a question first, then use “Add to briefing” under an answer to pin it here.")
        return
    draft = ctx.store.briefing(ctx.conversation_id)
    keys = {name: f"briefing-{name}-{ctx.conversation_id}" for name in _FIELDS}
    st.session_state.setdefault(keys["title"], draft.title or DEFAULT_TITLE)
    st.session_state.setdefault(keys["purpose"], draft.purpose)
    st.session_state.setdefault(keys["notes"], draft.notes)
    st.text_input("Briefing title", key=keys["title"], on_change=_save_text, args=(ctx, keys))
    st.text_input("Purpose (one line)", key=keys["purpose"], on_change=_save_text, args=(ctx, keys),
                  placeholder="e.g. To prepare members for the digital strategy debate on 4 March",
                  help="Left blank, the note says it sets out what the guide says on these questions.")
    st.text_area("Officer notes", key=keys["notes"], on_change=_save_text, args=(ctx, keys),
                 help="Your own notes; they follow the answers in the exported note.")
    if not draft.turns:
        st.info("No answers pinned yet. Use “Add to briefing” under an answer.")
        return
    for turn in draft.turns:
        with st.container(border=True):
            st.markdown(f"**{esc(turn.question)}**")
            st.markdown(esc(turn.answer_text))
            st.button("Remove from briefing", key=f"briefing-remove-{turn.id}",
                      on_click=ctx.store.pin, args=(turn.id, False))
    sections = list(ctx.sections.values())
    titles = guide_titles(sections)
    briefing = build_briefing(
        st.session_state[keys["title"]], st.session_state[keys["notes"]], draft.turns,
        source_line(sections), purpose=st.session_state[keys["purpose"]],
        guide=next(iter(titles.values())) if len(titles) == 1 else "",
    )
    st.caption(esc(f"The note merges near-duplicate questions, opens with one key point per question "
                   f"and lists {len(briefing.references)} reference(s) with section, file and page."))
    stem = file_stem(briefing.title)
    word, markdown = st.columns(2)
    word.download_button("Download as Word (.docx)", to_docx(briefing), file_name=f"{stem}.docx",
                         mime=DOCX_MIME, key="briefing_docx", on_click="ignore")
    markdown.download_button("Download as Markdown (.md)", to_markdown(briefing),
                             file_name=f"{stem}.md", mime="text/markdown", key="briefing_md",
                             on_click="ignore")


def _save_text(ctx: Context, keys: dict[str, str]) -> None:
    ctx.store.set_briefing_text(ctx.conversation_id, st.session_state[keys["title"]],
                                st.session_state[keys["notes"]], st.session_state[keys["purpose"]])
