"""What the extractive chain (assistant.answer.pipeline) and the language-model chain
(assistant.llm.chain) share: the Answer they both return, the timed step they are built from, and
the two steps they run alike (`decide`, `to_answer`). It sits below both, so neither imports the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from assistant.answer.compose import Citation
from assistant.answer.refusal import Bar, closer_to_bank, evidence
from assistant.answer.unmentioned import unmentioned
from assistant.embed.model import Embedder
from assistant.retrieve.followup import Reading, choose
from assistant.retrieve.index import MIN_RANKED, GuideIndex, Hit
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


def timed(name: str, step: Callable[[State], State]) -> Runnable:
    return _Stage(name, step)


def embed_step(embedder: Embedder) -> Callable[[State], State]:
    """Encode every reading of the question in one call to the model. A state that already carries a
    `failure` passes through."""

    def embed(state: State) -> State:
        if state.get("failure"):
            return state
        vectors = embedder.encode([r.query for r in state["readings"]])
        return {**state, "vectors": list(vectors)}

    return embed


def retrieve_step(settings: Settings, index: GuideIndex, bar: Bar) -> Callable[[State], State]:
    """Retrieve with each reading and keep the one the guide supports best (assistant.retrieve.followup);
    no hits for a state that carries a `failure`.

    A reading's support is the evidence refusal judges by, so "supported" means the same thing here
    as it does when deciding whether the guide answers at all.
    """

    def retrieve(state: State) -> State:
        if state.get("failure"):
            return {**state, "hits": []}
        found: list[tuple[Reading, Any, list[Hit]]] = []
        for reading, vector in zip(state["readings"], state["vectors"]):
            hits = index.search(reading.query, vector, max(settings.top_k, MIN_RANKED))
            off_topic = closer_to_bank(hits, bar.nearest_bank(vector))
            scored = replace(reading, support=evidence(hits), off_topic=off_topic)
            found.append((scored, vector, hits))
        chosen = choose(state["question"], [r for r, _, _ in found], bar.threshold)
        _, vector, hits = next(item for item in found if item[0] == chosen)
        return {**state, "query": chosen.query, "context_used": chosen.context_used,
                "vector": vector, "hits": hits}

    return retrieve


def decide(state: State, bar: Bar, index: GuideIndex) -> State:
    """Refuse when the guide does not cover the question (the index's own bar, see
    assistant.answer.refusal); otherwise note any names in it the guide never uses."""
    refused = bar.refuses(state["hits"], state.get("vector"))
    return {
        **state,
        "refused": refused,
        "refusal_bar": bar.threshold,
        # The asker's own words: a follow-up's joined query would repeat the previous question's names.
        "unmentioned": [] if refused else unmentioned(state["question"], index.mentions),
    }


def to_answer(state: State, top_k: int) -> Answer:
    timings = dict(state.get("timings", {}))
    timings["total"] = sum(timings.values())
    return Answer(
        question=state["question"],
        answer=state["answer"],
        refused=state["refused"],
        citations=state["citations"],
        hits=state["hits"][: max(top_k, MIN_RANKED)],
        timings_ms=timings,
        # Shown as "Searched as …": only when the conversation's context changed what was searched.
        standalone_question=state.get("query") if state.get("context_used") else None,
        evidence=evidence(state["hits"]),
        unmentioned=[] if state["refused"] else list(state.get("unmentioned", [])),
    )
