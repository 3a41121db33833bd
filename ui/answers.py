"""One question and answer on screen: the cited answer, its sources, what to read next, feedback.

Every piece of guide text goes through `esc` (Markdown escaping), so nothing in a guide can become
a link, HTML or formatting. Widget keys carry the turn id, so each answer's controls stay its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import streamlit as st

from assistant.answer.streaming import answer_stream
from assistant.errors import AssistantError
from assistant.ingest.documents import Section
from assistant.workspace.briefing import reference_text
from assistant.workspace.browse import passage, question_about, related
from assistant.workspace.conversations import Turn
from assistant.workspace.safe_text import escape_answer
from assistant.workspace.safe_text import escape_markdown as esc
from ui import actions
from ui.resources import Context, refresh

STOPPED = "stopped_question"
STOPPED_NOTE = "You stopped the language model's reply, so this answer is quoted directly from the guide."


def show_turn(turn: Turn, ctx: Context) -> None:
    with st.chat_message("user"):
        st.markdown(esc(turn.question))
    with st.chat_message("assistant"):
        st.markdown(escape_answer(turn.answer_text))
        show_extras(turn, ctx)


def ask(question: str, ctx: Context) -> None:
    """Answer a new question, streaming the text, then store it and show its sources."""
    with st.chat_message("user"):
        st.markdown(esc(question))
    stopped = st.session_state.pop(STOPPED, None) == question
    mode = "extractive" if stopped else ctx.mode
    with st.chat_message("assistant"):
        try:
            refresh(ctx.assistant)
            history = ctx.store.history(ctx.conversation_id)
            with st.spinner("Searching the guide…"):
                stream = answer_stream(ctx.assistant, question, history, mode)
            slot, waiting, stop = st.empty(), st.empty(), st.empty()
            if mode != "extractive" and getattr(ctx.assistant, "mode", "") == "llm":
                stop.button("Stop", key="stop-reply", on_click=_stop, args=(question,),
                            help="Stop the language model and quote the guide instead.")
            pieces = stream.pieces()
            try:
                with slot:
                    st.write_stream(_shown(pieces, waiting))
            finally:
                pieces.close()  # after a Stop click this ends the model's request at once
            waiting.empty()
            stop.empty()
            answer = stream.result()
            if stopped:
                answer.notes.append(STOPPED_NOTE)
            # A model's raw text is replaced by the checked answer (bad markers removed).
            slot.markdown(escape_answer(answer.answer))
        except AssistantError as exc:
            st.warning(esc(str(exc)))
            return
        except Exception as exc:  # a councillor sees one sentence, never a traceback
            st.error(f"Sorry, something went wrong while answering ({exc.__class__.__name__}). "
                     "Please try again or rephrase the question.")
            return
        turn = ctx.store.add_turn(ctx.conversation_id, answer.question, answer.to_json())
        show_extras(turn, ctx)


def _stop(question: str) -> None:
    """Stop click. Streamlit interrupts the run that was streaming (closing its pieces cuts the
    model's request); this run asks the question again for the quoted answer."""
    st.session_state[STOPPED] = question
    actions.ask_later(question)


def _shown(pieces: Iterator[str], waiting) -> Iterator[str]:
    """Escaped pieces for st.write_stream. A model's stream gives "" while it waits; drawing the
    status then is also what lets Streamlit act on a Stop click before the first word."""
    shown = False
    for piece in pieces:
        if piece:
            if shown:
                waiting.empty()
                shown = False
            yield esc(piece)
        else:
            waiting.caption("Waiting for the language model…")
            shown = True


def show_extras(turn: Turn, ctx: Context) -> None:
    answer = turn.answer
    for note in answer.get("notes", []):  # e.g. the language model failed, so the guide is quoted
        st.caption(esc(f"Note: {note}"))
    if answer.get("refused"):
        _show_refusal(turn, ctx)
    else:
        _show_citations(turn, ctx)
        _show_related(turn, ctx)
    if ctx.show_details:
        _show_details(answer)
    _show_actions(turn, ctx)


def _show_refusal(turn: Turn, ctx: Context) -> None:
    """The answer already says the guide does not cover it and names the nearest sections: only the
    buttons to read them follow, not a second message saying the same."""
    for i, hit in enumerate(turn.answer.get("retrieved", [])[:3]):
        sid = hit.get("section_id")
        if sid in ctx.sections:
            st.button(f"Read: {esc(hit.get('title', ''))}", key=f"closest-{turn.id}-{i}",
                      on_click=actions.open_section, args=(sid,))


def _show_citations(turn: Turn, ctx: Context) -> None:
    citations = turn.answer.get("citations", [])
    if not citations:
        return
    st.markdown("**Sources** (open one to check the quoted passage):")
    for citation in citations:
        n = citation.get("n")
        with st.expander(esc(f"[{n}] {reference_text(citation)}")):
            section = ctx.sections.get(citation.get("section_id", ""))
            _show_passage(turn, citation, section)


def _show_passage(turn: Turn, citation: dict, section: Section | None) -> None:
    st.caption(esc(f"Section: {' › '.join(citation.get('path', []))}"))
    where = f"Source file: {citation.get('source', '')}"
    if citation.get("page"):
        where += f", page {citation['page']}"
    st.caption(esc(where))
    quote = citation.get("quote", "")
    if section is None:  # the section has gone from the index since the answer was given
        st.markdown(f"> {esc(quote)}")
        st.caption("This section is no longer in the index; the quote is as it was when answered.")
        return
    paragraphs = passage(section, quote)
    cited = [p for p in paragraphs if any(flag for _, flag in p)] or paragraphs[:1]
    st.caption("The sentences the answer quotes are highlighted in bold.")
    for paragraph in cited:
        st.markdown(_marked(paragraph))
    whole = st.toggle("Read the whole section", key=f"whole-{turn.id}-{citation.get('n')}")
    if whole:
        for paragraph in paragraphs:
            st.markdown(_marked(paragraph))


def _marked(paragraph: list[tuple[str, bool]]) -> str:
    """A paragraph with its cited sentences highlighted and in bold (so it reads without colour)."""
    return " ".join(f":orange-background[**{esc(text)}**]" if cited else esc(text)
                    for text, cited in paragraph)


def _show_related(turn: Turn, ctx: Context) -> None:
    nearby = related(turn.answer, ctx.sections, count=3)
    if not nearby:
        return
    st.markdown("**You might also ask:**")
    for i, section in enumerate(nearby):
        question = question_about(section.title, section.path)
        st.button(esc(question), key=f"related-{turn.id}-{i}", on_click=actions.ask_later,
                  args=(question,))


def _show_details(answer: dict) -> None:
    with st.expander("Retrieval details (scores and timings)"):
        rows = [
            {"rank": i, "section": h.get("title", ""), "similarity": h.get("score"),
             "fused score": h.get("fused_score")}
            for i, h in enumerate(answer.get("retrieved", []), 1)
        ]
        if rows:
            st.table(rows)
        timings = ", ".join(f"{k} {v:.0f} ms" for k, v in answer.get("timings_ms", {}).items())
        st.caption(esc(f"Timings: {timings}. Evidence score {answer.get('evidence')}; "
                       f"mode {answer.get('mode')}."))
        if answer.get("standalone_question"):
            st.caption(esc(f"Searched as: {answer['standalone_question']}"))


def _show_actions(turn: Turn, ctx: Context) -> None:
    store = ctx.store
    helpful, unhelpful, pin = st.columns(3)
    helpful.button("Helpful", key=f"up-{turn.id}", on_click=store.set_feedback,
                   args=(turn.id, 1, turn.comment))
    unhelpful.button("Not helpful", key=f"down-{turn.id}", on_click=store.set_feedback,
                     args=(turn.id, -1, turn.comment))
    if turn.pinned is not None:
        pin.button("Remove from briefing", key=f"unpin-{turn.id}", on_click=store.pin,
                   args=(turn.id, False))
    elif not turn.answer.get("refused"):  # a refusal has nothing from the guide to brief on
        pin.button("Add to briefing", key=f"pin-{turn.id}", on_click=store.pin, args=(turn.id, True))
    if turn.rating is not None:
        st.caption(f"Feedback saved: {'helpful' if turn.rating == 1 else 'not helpful'}.")
    with st.form(key=f"comment-form-{turn.id}", clear_on_submit=False, border=False):
        comment = st.text_input("Comment on this answer (optional)", value=turn.comment,
                                key=f"comment-{turn.id}")
        if st.form_submit_button("Save comment"):
            store.set_feedback(turn.id, turn.rating, comment)
            st.caption("Comment saved.")
