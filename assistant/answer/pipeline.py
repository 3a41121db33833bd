"""The answering pipeline, written out once and in order, as a LangChain runnable:

    question -> check -> embed -> retrieve -> decide -> compose -> Answer

`decide` refuses when the guide does not cover the question, and otherwise notes any names in it
the guide never uses, which `compose` then says before quoting (assistant.answer.unmentioned).

Each step is a small function over one state dict; `timed` (assistant.answer.steps) records how long
each took, so every answer carries its per-stage timings.

Why light stages rather than LangChain's own parts (a `BaseRetriever`, `RunnableLambda`s): those set
up callbacks and inspect signatures on every call, which cost about 1.7 ms a question over the five
steps, more than most steps take (bench/speed.py reports the per-stage times). The chain is still a
LangChain runnable, and the same retrieval is offered to other people's chains as a `BaseRetriever`
in assistant.retrieve.langchain_retriever.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from langchain_core.runnables import Runnable

from assistant.answer.compose import compose, refusal_text
from assistant.answer.lacking import elsewhere_note, lacking, lacking_note, unquoted_names
from assistant.answer.refusal import index_bar
from assistant.answer.steps import Answer, State, decide, embed_step, retrieve_step, timed, to_answer
from assistant.answer.unmentioned import with_caveat
from assistant.embed.model import Embedder
from assistant.retrieve.followup import readings
from assistant.retrieve.index import GuideIndex
from assistant.retrieve.questions import clean_question
from assistant.settings import Settings

__all__ = ["Answer", "Assistant", "build_chain"]


def build_chain(settings: Settings, embedder: Embedder, index: GuideIndex) -> Runnable:
    """The extractive chain. Input: {"question": str, "history": [(question, answer), ...]}."""
    bar = index_bar(index, embedder, settings.refusal_threshold)

    def check(state: State) -> State:
        question = clean_question(state.get("question"), settings.max_question_chars)
        return {**state, "question": question, "readings": readings(question, state.get("history") or [])}

    def answer(state: State) -> State:
        hits = state["hits"]
        if state["refused"]:
            text, citations = refusal_text(hits), []
        else:
            composed = compose(state["query"], state["vector"], hits, index, settings.answer_words,
                               asked=state["question"])
            text, citations = with_caveat(composed.text, state["unmentioned"]), composed.citations
            quoted = [c.section.text for c in citations]
            missing = lacking(state["question"], quoted)
            elsewhere = unquoted_names(state["question"], quoted, state["unmentioned"])
            if citations and not state["unmentioned"]:  # one caveat first, never two
                if missing:
                    text = f"{lacking_note(missing)} {text}"
                elif elsewhere:
                    text = f"{elsewhere_note(elsewhere)} {text}"
            if not citations:
                text, state["refused"] = refusal_text(hits), True
        return {**state, "answer": text, "citations": citations}

    return (
        timed("check", check)
        | timed("embed", embed_step(embedder))
        | timed("retrieve", retrieve_step(settings, index, bar))
        | timed("decide", lambda state: decide(state, bar, index))
        | timed("compose", answer)
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
        # Imported here for start-up time, not to hide a cycle: the LLM chain's prompt templates
        # cost about half a second to import, which the default extractive answerer never needs.
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
