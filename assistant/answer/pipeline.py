"""The answering pipeline, written out once and in order, as a LangChain runnable:

    question -> check -> embed -> retrieve -> decide -> compose -> Answer

`decide` refuses when the guide does not cover the question, and otherwise notes any names in it
the guide never uses, which `compose` then says before quoting (assistant.answer.unmentioned).

Each step is a small function over one state dict; `_timed` records how long each took, so every
answer carries its per-stage timings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from assistant.answer.compose import Citation, compose, refusal_text
from assistant.answer.refusal import Bar, evidence, index_bar
from assistant.answer.unmentioned import unmentioned, with_caveat
from assistant.embed.model import Embedder
from assistant.retrieve.followup import retrieval_query
from assistant.retrieve.index import MIN_RANKED, GuideIndex, Hit
from assistant.retrieve.questions import clean_question
from assistant.settings import Settings

State = dict


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: str = "extractive"
    model: str | None = None
    standalone_question: str | None = None
    evidence: float = 0.0
    notes: list[str] = field(default_factory=list)
    invalid_citations: list[int] = field(default_factory=list)  # LLM markers that matched no excerpt
    unmentioned: list[str] = field(default_factory=list)  # names in the question the guide never uses

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [h.to_json() for h in self.hits],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "mode": self.mode,
            "model": self.model,
            "standalone_question": self.standalone_question,
            "evidence": round(self.evidence, 4),
            "notes": self.notes,
            "invalid_citations": self.invalid_citations,
            "unmentioned": self.unmentioned,
        }


class _Stage(Runnable[State, State]):
    """One named step of a chain, timed. A bare Runnable rather than a RunnableLambda: the lambda
    inspects its function's signature and sets up callbacks on every call, which cost more than
    most of our steps take (about 1.7 ms a question over the five steps)."""

    def __init__(self, name: str, step: Callable[[State], State]) -> None:
        self.name = name
        self._step = step

    def invoke(self, input: State, config: RunnableConfig | None = None, **kwargs: Any) -> State:
        started = time.perf_counter()
        out = self._step(input)
        out.setdefault("timings", {})[self.name] = (time.perf_counter() - started) * 1000
        return out


def _timed(name: str, step: Callable[[State], State]) -> Runnable:
    return _Stage(name, step)


def build_chain(settings: Settings, embedder: Embedder, index: GuideIndex) -> Runnable:
    """The extractive chain. Input: {"question": str, "history": [(question, answer), ...]}."""
    bar = index_bar(index, embedder, settings.refusal_threshold)

    def check(state: State) -> State:
        question = clean_question(state.get("question"), settings.max_question_chars)
        query = retrieval_query(question, state.get("history") or [])
        return {**state, "question": question, "query": query}

    def embed(state: State) -> State:
        return {**state, "vector": embedder.encode([state["query"]])[0]}

    def retrieve(state: State) -> State:
        hits = index.search(state["query"], state["vector"], max(settings.top_k, MIN_RANKED))
        return {**state, "hits": hits}

    def answer(state: State) -> State:
        hits = state["hits"]
        if state["refused"]:
            text, citations = refusal_text(hits), []
        else:
            composed = compose(state["query"], state["vector"], hits, index, settings.answer_words)
            text, citations = with_caveat(composed.text, state["unmentioned"]), composed.citations
            if not citations:
                text, state["refused"] = refusal_text(hits), True
        return {**state, "answer": text, "citations": citations}

    return (
        _timed("check", check)
        | _timed("embed", embed)
        | _timed("retrieve", retrieve)
        | _timed("decide", lambda state: decide(state, bar, index))
        | _timed("compose", answer)
    )


def decide(state: State, bar: Bar, index: GuideIndex) -> State:
    """Refuse when the guide does not cover the question (the index's own bar, see
    assistant.answer.refusal); otherwise note any names in it the guide never uses."""
    refused = bar.refuses(state["hits"], state.get("vector"))
    return {
        **state,
        "refused": refused,
        # The asker's own words: a follow-up's joined query would repeat the previous question's names.
        "unmentioned": [] if refused else unmentioned(state["question"], index.mentions),
    }


def to_answer(state: State, top_k: int) -> Answer:
    timings = dict(state.get("timings", {}))
    timings["total"] = sum(timings.values())
    query = state.get("query")
    return Answer(
        question=state["question"],
        answer=state["answer"],
        refused=state["refused"],
        citations=state["citations"],
        hits=state["hits"][: max(top_k, MIN_RANKED)],
        timings_ms=timings,
        standalone_question=query if query != state["question"] else None,
        evidence=evidence(state["hits"]),
        unmentioned=[] if state["refused"] else list(state.get("unmentioned", [])),
    )


class Assistant:
    """The model and index loaded once; `ask` runs the chain. Reloads after a new ingest."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        if embedder is None:
            from assistant.embed.question_encoder import question_encoder

            embedder = question_encoder(settings)  # ONNX when exported: no torch import at start
        self.embedder = embedder
        self.index = GuideIndex(settings, self.embedder)
        self.chain = build_chain(settings, self.embedder, self.index)
        self.generator = self._generator()

    @property
    def mode(self) -> str:
        """How `ask` answers: "extractive", or "llm" when a language model is configured."""
        return "extractive" if self.generator is None else "llm"

    def _generator(self):
        """The language-model answerer when `settings.llm` names one (imported only then)."""
        if self.settings.llm == "none":
            return None
        from assistant.llm.chain import LLMAnswerer
        from assistant.llm.clients import chat_model

        model = chat_model(self.settings)
        return LLMAnswerer(self.settings, self.embedder, self.index, model, self.chain)

    def refresh(self) -> bool:
        """Pick up a newly published index; True when it changed."""
        if self.index.is_current():
            return False
        old = self.index
        self.index = GuideIndex(self.settings, self.embedder)
        self.chain = build_chain(self.settings, self.embedder, self.index)
        self.generator = self._generator()
        old.close()
        return True

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """Answer with the language model when one is configured, else extractively."""
        if self.generator is not None:
            return self.generator.ask(question, history)
        return self.ask_extractive(question, history)

    def ask_extractive(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        state = self.chain.invoke({"question": question, "history": list(history)})
        return to_answer(state, self.settings.top_k)

    def stream(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Iterator[str | Answer]:
        """Text pieces as the model writes them (raw, unchecked), then the checked Answer, last."""
        if self.generator is None:
            yield self.ask_extractive(question, history)
            return
        yield from self.generator.stream(question, history)
