"""Generative answers from a language model, grounded in the guide and checked in code.

The pipeline, in order (the first six steps are one LCEL runnable, timed like the core chain):

    check -> rewrite (follow-ups, by the model) -> embed -> retrieve -> decide (refuse?)
          -> excerpts -> generate (streamed) -> ground (check markers) -> Answer

Guardrails are code, not prompt: weak retrieval refuses before the model is called; the sentinel,
or a reply left with no valid `[n]` marker, gives the same honest refusal as the extractive
answerer; markers pointing at no excerpt are removed and reported in `invalid_citations`; only
excerpts actually cited become citations, renumbered to match the text.

Any failure of the model (server down, slower than `llm_timeout`, an error or an empty reply)
gives the extractive answer with a note saying why. While streaming, the raw text is shown as it
arrives; markers can only be checked once the reply is complete, so the final Answer's text (which
the UI shows in place of the raw text) is the one to trust.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from assistant.answer.compose import Citation, refusal_text
from assistant.answer.pipeline import Answer, State, decide, to_answer
from assistant.answer.pipeline import _timed as timed
from assistant.answer.refusal import evidence, index_bar
from assistant.answer.unmentioned import with_caveat
from assistant.embed.model import Embedder
from assistant.llm.clients import model_name
from assistant.llm.grounding import Checked, check_reply, clip_words
from assistant.llm.prompting import (
    ANSWER_PROMPT,
    REWRITE_PROMPT,
    SENTINEL,
    absent_note,
    defuse,
    render_conversation,
    render_excerpts,
    select_excerpts,
)
from assistant.retrieve.followup import retrieval_query
from assistant.retrieve.index import MIN_RANKED, GuideIndex
from assistant.retrieve.questions import clean_question
from assistant.settings import Settings

History = Sequence[tuple[str, str]]
_FALLBACK = "so this answer is quoted directly from the guide instead."
# The prompt asks for `answer_words`; a reply running past half as much again is cut to whole
# sentences, so a rambling small model cannot bury the answer.
_WORDS_TOLERANCE = 1.5
# Sections after the first are excerpted only if their own evidence reaches this share of the refusal
# bar. On the dev questions (bench/llm_context.py) 0.8 kept the gold section among the excerpts as
# often as no bar at all (40 of 41), with 12% fewer excerpt tokens; 1.0 lost one.
_EXCERPT_EVIDENCE = 0.8


class ModelFailure(Exception):
    """The model could not give a usable reply; `note` says why, for the user."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


class LLMAnswerer:
    """Answers with a chat model; falls back to the extractive chain whenever the model fails."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        index: GuideIndex,
        model: BaseChatModel,
        extractive: Runnable,
    ) -> None:
        self.settings = settings
        self.model_name = model_name(settings) or settings.llm
        self.extractive = extractive
        self.rewriter = REWRITE_PROMPT | model | StrOutputParser()
        self.writer = ANSWER_PROMPT | model | StrOutputParser()
        self.prepare = _prepare_chain(settings, embedder, index, self)

    def ask(self, question: str, history: History = ()) -> Answer:
        """The checked Answer, without streaming."""
        answer = None
        for item in self.stream(question, history):
            if isinstance(item, Answer):
                answer = item
        if answer is None:  # cannot happen: stream always ends with an Answer
            raise RuntimeError("the answer stream ended without an answer")
        return answer

    def stream(self, question: str, history: History = ()) -> Iterator[str | Answer]:
        """Raw text pieces as the model writes them, then the checked Answer (always last)."""
        state = self.prepare.invoke({"question": question, "history": list(history)})
        if state.get("failure"):
            yield self.fallback(question, history, state["failure"])
            return
        if state["refused"]:
            yield self._finish(state, Checked(""), refused=True)
            return
        started = time.perf_counter()
        pieces: list[str] = []
        try:
            for piece in self._generate(state):
                pieces.append(piece)
                yield piece
        except ModelFailure as failure:
            yield self.fallback(question, history, failure.note)
            return
        state["timings"]["generate"] = (time.perf_counter() - started) * 1000
        reply = "".join(pieces)
        if not reply.strip():
            yield self.fallback(question, history, self._note("gave an empty reply"))
            return
        started = time.perf_counter()
        limit = int(self.settings.answer_words * _WORDS_TOLERANCE)
        clipped = clip_words(reply, limit)
        checked = check_reply(clipped, len(state["excerpts"]))
        state["timings"]["ground"] = (time.perf_counter() - started) * 1000
        answer = self._finish(state, checked, refused=not checked.grounded)
        if clipped != reply and not answer.refused:
            answer.notes.append(f"The language model's reply was cut to its first {limit} words or so.")
        yield answer

    def rewrite(self, question: str, history: History) -> str:
        """A standalone version of a follow-up; the heuristic query if the reply is unusable.

        Raises:
            ModelFailure: the model could not be used at all.
        """
        fallback = retrieval_query(question, history)
        if not history:
            return question
        reply = self._call(
            lambda: self.rewriter.invoke(
                {"conversation": render_conversation(history), "question": defuse(question)}
            )
        )
        return _standalone(reply, self.settings.max_question_chars) or fallback

    def fallback(self, question: str, history: History, note: str) -> Answer:
        """The extractive answer, with a note saying why the model's was not used."""
        state = self.extractive.invoke({"question": question, "history": list(history)})
        answer = to_answer(state, self.settings.top_k)
        answer.notes.append(note)
        return answer

    def _generate(self, state: State) -> Iterator[str]:
        """Stream the reply, enforcing `llm_timeout` over the whole reply, not only per read."""
        deadline = time.monotonic() + self.settings.llm_timeout
        inputs = {
            "excerpts": render_excerpts(state["excerpts"]),
            "question": defuse(state["query"]),
            "max_words": self.settings.answer_words,
            "absent": absent_note(state["unmentioned"]),
        }
        stream = self.writer.stream(inputs)
        try:
            while True:
                piece = self._call(lambda: next(stream, None))
                if piece is None:
                    return
                if time.monotonic() > deadline:
                    raise ModelFailure(self._timeout_note())
                yield piece
        finally:
            stream.close()

    def _call(self, fn):
        try:
            return fn()
        except ModelFailure:
            raise
        except Exception as exc:  # any client error is a model failure, never a crash
            raise ModelFailure(self._describe(exc)) from exc

    def _describe(self, exc: BaseException) -> str:
        names = " ".join(type(e).__name__ for e in _causes(exc))
        if "Timeout" in names:
            return self._timeout_note()
        if "Connect" in names or any(isinstance(e, ConnectionError) for e in _causes(exc)):
            where = self.settings.llm_base_url or f"the default {self.settings.llm} address"
            return f"The language model server ({where}) could not be reached, {_FALLBACK}"
        return self._note(f"returned an error ({type(exc).__name__})")

    def _timeout_note(self) -> str:
        return self._note(f"took longer than {self.settings.llm_timeout:g} seconds")

    def _note(self, what: str) -> str:
        return f"The language model ({self.model_name}) {what}, {_FALLBACK}"

    def _finish(self, state: State, checked: Checked, refused: bool) -> Answer:
        excerpts = state["excerpts"]
        if refused:
            text, citations = refusal_text(state["hits"]), []
        else:
            text = with_caveat(checked.text, state["unmentioned"])
            citations = [
                Citation(i + 1, excerpts[n - 1].hit.section, excerpts[n - 1].text,
                         excerpts[n - 1].hit.similarity)
                for i, n in enumerate(checked.cited)
            ]
        answer = to_answer({**state, "answer": text, "citations": citations, "refused": refused},
                           self.settings.top_k)
        answer.mode, answer.model = "llm", self.model_name
        answer.invalid_citations = checked.invalid
        if checked.invalid:
            answer.notes.append(
                f"The language model cited excerpt numbers that do not exist "
                f"({', '.join(map(str, checked.invalid))}); they were removed."
            )
        if refused and excerpts and not checked.not_in_guide and not state["refused"]:
            answer.notes.append(
                "The language model's reply cited no excerpt of the guide, so it was not shown."
            )
        return answer


def _prepare_chain(
    settings: Settings, embedder: Embedder, index: GuideIndex, answerer: LLMAnswerer
) -> Runnable:
    def check(state: State) -> State:
        question = clean_question(state.get("question"), settings.max_question_chars)
        return {**state, "question": question}

    def rewrite(state: State) -> State:
        try:
            query = answerer.rewrite(state["question"], state.get("history") or [])
        except ModelFailure as failure:
            # The model is unusable; the caller gives the extractive answer without waiting again.
            return {**state, "query": state["question"], "failure": failure.note}
        return {**state, "query": query}

    def embed(state: State) -> State:
        if state.get("failure"):
            return state
        return {**state, "vector": embedder.encode([state["query"]])[0]}

    def retrieve(state: State) -> State:
        if state.get("failure"):
            return {**state, "hits": []}
        hits = index.search(state["query"], state["vector"], max(settings.top_k, MIN_RANKED))
        return {**state, "hits": hits}

    refusal = index_bar(index, embedder, settings.refusal_threshold)
    bar = _EXCERPT_EVIDENCE * refusal.threshold

    def excerpts(state: State) -> State:
        chosen = [] if state["refused"] else select_excerpts(
            state["hits"], index, settings.llm_context_tokens, admit=lambda hit: evidence([hit]) >= bar
        )
        return {**state, "excerpts": chosen, "refused": state["refused"] or not chosen}

    return (
        timed("check", check)
        | timed("rewrite", rewrite)
        | timed("embed", embed)
        | timed("retrieve", retrieve)
        | timed("decide", lambda state: decide(state, refusal, index))
        | timed("excerpts", excerpts)
    )


def _standalone(reply: str, max_chars: int) -> str:
    """The rewritten question from a reply, or '' when the reply is not a usable question."""
    lines = [line.strip() for line in (reply or "").splitlines() if line.strip()]
    if not lines or SENTINEL in reply:
        return ""
    line = lines[0]
    for prefix in ("rewritten question:", "standalone question:", "question:"):
        if line.lower().startswith(prefix):
            line = line[len(prefix):].strip()
    line = line.strip("\"'“”‘’ ")
    if not line or len(line) > max_chars:
        return ""
    try:
        return clean_question(line, max_chars)
    except Exception:
        return ""


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
