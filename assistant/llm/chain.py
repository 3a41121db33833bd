"""Generative answers from a language model, grounded in the guide and checked in code.

The pipeline, in order (the first six steps are one LCEL runnable, timed like the core chain):

    check -> rewrite (follow-ups, by the model) -> embed -> retrieve -> decide (refuse?)
          -> excerpts -> generate (streamed) -> ground (check markers) -> Answer

Guardrails are code, not prompt: weak retrieval refuses before the model is called; markers
pointing at no excerpt are removed and reported in `invalid_citations`; only excerpts actually
cited become citations, renumbered to match the text. "The guide does not say" comes only from the
evidence check, or from the model's sentinel when the evidence is weak: a small model that cannot
find the answer in excerpts that plainly hold it must not tell a councillor the guide is silent.

Any reply that cannot be used (server down, slower than `llm_timeout`, an error, empty, no valid
marker, the sentinel despite strong evidence, a first sentence too long to check) gives the quoted
extractive answer with a note saying why. One deadline covers the rewrite and the answer; when it
passes the HTTP request is cut, not read to its end (assistant.llm.deadline). While streaming, the
raw text is shown as it arrives; markers can only be checked once the reply is complete, so the
final Answer's text (which the UI shows in place of the raw text) is the one to trust.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from assistant.answer.compose import Citation, refusal_text
from assistant.answer.refusal import evidence, index_bar
from assistant.answer.steps import Answer, State, decide, embed_step, retrieve_step, timed, to_answer
from assistant.answer.unmentioned import with_caveat
from assistant.embed.model import Embedder
from assistant.llm.clients import model_name
from assistant.llm.deadline import DeadlinePassed, within
from assistant.llm.grounding import Checked, check_reply, clip_words, drop_unfinished
from assistant.llm.limits import reply_word_limit
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
from assistant.retrieve.followup import Reading, readings
from assistant.retrieve.index import GuideIndex
from assistant.retrieve.questions import clean_question
from assistant.settings import Settings

History = Sequence[tuple[str, str]]
T = TypeVar("T")
_FALLBACK = "so this answer is quoted directly from the guide instead."
# The model's NOT_IN_GUIDE is believed only while the evidence stays below this multiple of the
# refusal bar; above it retrieval has found the subject, and the quoted answer is shown instead.
# Over the companion's dev questions and the four eval-docs (each document alike, nothing tuned to
# one), 1.25 leaves 33 of 210 answerable questions where the sentinel is believed, and catches 4 of
# the 16 out-of-scope questions that pass the bar; 1.5 would catch 9 but risk 70 answerable ones.
_SENTINEL_BELIEVED_BELOW = 1.25
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
        self.model = model
        self.rewriter = REWRITE_PROMPT | model | StrOutputParser()
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
        # `llm_timeout` bounds the time spent waiting for the model, the rewrite included.
        deadline = time.monotonic() + self.settings.llm_timeout - state["timings"]["rewrite"] / 1000
        written = Written()
        pieces = self._generate(state, written, deadline)
        try:
            yield from pieces  # "" while waiting: the app's chance to notice a Stop click
        except ModelFailure as failure:
            yield self.fallback(question, history, failure.note)
            return
        finally:
            pieces.close()  # a consumer that stops reading (Stop) cuts the request now
        state["timings"]["generate"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        answer = self._checked(state, written)
        state["timings"]["ground"] = (time.perf_counter() - started) * 1000
        answer.timings_ms["ground"] = state["timings"]["ground"]
        yield answer

    def _checked(self, state: State, written: Written) -> Answer:
        """The reply after the checks in code, or the quoted answer with a note saying why not."""
        question, history = state["question"], state.get("history") or []
        reply = drop_unfinished(written.text) if written.stopped else written.text
        limit = reply_word_limit(self.settings.answer_words)
        if not reply.strip():
            what = (f"reached the length limit ({limit} words) before it finished a sentence, too long "
                    f"to check" if written.stopped else "gave an empty reply")
            return self.fallback(question, history, self._note(what))
        clipped = clip_words(reply, limit)
        checked = check_reply(clipped, len(state["excerpts"]))
        if checked.not_in_guide:
            if evidence(state["hits"]) < _SENTINEL_BELIEVED_BELOW * state["refusal_bar"]:
                return self._finish(state, checked, refused=True)
            return self.fallback(question, history, self._note(
                "said its excerpts do not answer this, but the search found sections that match "
                "the question closely; check that the quoted passages answer it"))
        if not checked.grounded:
            what = "cited no excerpt of the guide" if not checked.invalid else (
                f"cited only excerpt numbers that do not exist ({', '.join(map(str, checked.invalid))})")
            answer = self.fallback(question, history, f"The language model's reply {what}, so it was "
                                   f"not used; this answer is quoted directly from the guide instead.")
            answer.invalid_citations = checked.invalid
            return answer
        answer = self._finish(state, checked, refused=False)
        if clipped != reply or written.stopped:
            answer.notes.append(f"The language model's reply was cut to its first {limit} words or so.")
        return answer

    def rewrite(self, question: str, history: History) -> str:
        """The model's standalone version of a follow-up, or '' when there is no history or the reply
        is unusable. The pipeline keeps it only if the guide supports it as well as the readings
        found without the model (assistant.retrieve.followup).

        Raises:
            ModelFailure: the model could not be used at all, or not within `llm_timeout`.
        """
        if not history:
            return ""
        inputs = {"conversation": render_conversation(history), "question": defuse(question)}
        reply = self._one(lambda: self.rewriter.invoke(inputs), time.monotonic() + self.settings.llm_timeout)
        return _standalone(reply, self.settings.max_question_chars)

    def fallback(self, question: str, history: History, note: str) -> Answer:
        """The extractive answer, with a note saying why the model's was not used."""
        state = self.extractive.invoke({"question": question, "history": list(history)})
        answer = to_answer(state, self.settings.top_k)
        answer.notes.append(note)
        return answer

    def _generate(self, state: State, written: Written, deadline: float) -> Iterator[str]:
        """Stream the reply into `written` until it ends, passes the word limit or the deadline.

        The model is streamed directly, not through a LangChain sequence: closing a sequence's
        stream reads the rest of the HTTP response first.

        Raises:
            ModelFailure: the model failed, or the deadline passed (the request is then cut).
        """
        messages = ANSWER_PROMPT.format_messages(
            excerpts=render_excerpts(state["excerpts"]),
            question=defuse(state["query"]),
            max_words=self.settings.answer_words,
            absent=absent_note(state["unmentioned"]),
        )
        limit = reply_word_limit(self.settings.answer_words)
        chunks = within(lambda: self.model.stream(messages), deadline, tick="")
        try:
            with self._as_model_failure():
                for chunk in chunks:
                    if isinstance(chunk, str):  # waiting: let the caller draw
                        yield chunk
                        continue
                    piece = chunk.text
                    written.add(piece, chunk.response_metadata)
                    if piece:
                        yield piece
                    if written.words > limit:  # nothing past here survives clip_words: stop paying for it
                        written.stopped = True
                        return
        finally:
            chunks.close()

    def _one(self, call: Callable[[], T], deadline: float) -> T:
        """The result of one model call, cut off at `deadline`."""
        results = within(lambda: [call()], deadline)
        try:
            with self._as_model_failure():
                return next(results)
        finally:
            results.close()

    @contextmanager
    def _as_model_failure(self) -> Iterator[None]:
        """Turn a passed deadline or any client error into a ModelFailure: never a crash."""
        try:
            yield
        except DeadlinePassed:
            raise ModelFailure(self._timeout_note()) from None
        except Exception as exc:
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
        return answer


@dataclass
class Written:
    """What the model has written so far, and whether it was stopped before it finished."""

    pieces: list[str] = field(default_factory=list)
    words: int = 0
    stopped: bool = False  # by our word limit or by the server's token limit

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def add(self, piece: str, metadata: dict) -> None:
        self.pieces.append(piece)
        self.words = len(self.text.split())
        # OpenAI-compatible servers say "length", Ollama says so in done_reason.
        if "length" in (metadata.get("finish_reason"), metadata.get("done_reason")):
            self.stopped = True


def _prepare_chain(
    settings: Settings, embedder: Embedder, index: GuideIndex, answerer: LLMAnswerer
) -> Runnable:
    def check(state: State) -> State:
        question = clean_question(state.get("question"), settings.max_question_chars)
        return {**state, "question": question}

    def rewrite(state: State) -> State:
        history = state.get("history") or []
        found = readings(state["question"], history)
        try:
            rewritten = answerer.rewrite(state["question"], history)
        except ModelFailure as failure:
            # The model is unusable; the caller gives the extractive answer without waiting again.
            return {**state, "query": state["question"], "readings": found, "failure": failure.note}
        if rewritten and rewritten not in {r.query for r in found}:
            found.insert(1, Reading(rewritten, rewritten != state["question"], from_model=True))
        return {**state, "readings": found}

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
        | timed("embed", embed_step(embedder))
        | timed("retrieve", retrieve_step(settings, index, refusal))
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
