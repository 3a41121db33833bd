"""The one seam through which the chat app receives an answer: text pieces as they come, then the Answer.

The app calls `answer_stream(...)`, shows `stream.pieces()` as they arrive (st.write_stream) and then
renders `stream.result()` (citations, related sections, timings). The extractive answer is complete
before its first word is shown, so its pieces are simply its words; a generator that produces text
token by token (an LLM) plugs in through `STREAMERS` without the app changing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from assistant.chain import Answer

History = Sequence[tuple[str, str]]

_PIECE = re.compile(r"\S+\s*|\s+")


class Asker(Protocol):
    def ask(self, question: str, history: History = ()) -> Answer: ...


class AnswerStream:
    """Text pieces to show while the answer is produced, and the finished Answer afterwards."""

    def __init__(self, pieces: Iterator[str], finish: Callable[[], Answer]) -> None:
        self._pieces = pieces
        self._finish = finish
        self._answer: Answer | None = None

    def pieces(self) -> Iterator[str]:
        yield from self._pieces

    def result(self) -> Answer:
        """The finished Answer; drains any pieces not yet read."""
        if self._answer is None:
            for _ in self._pieces:
                pass
            self._answer = self._finish()
        return self._answer


def words_of(text: str) -> Iterator[str]:
    """Split text into word-sized pieces that join back into exactly the same text."""
    for match in _PIECE.finditer(text):
        yield match.group(0)


def extractive_stream(answerer: Asker, question: str, history: History = ()) -> AnswerStream:
    # An Assistant with a language model configured uses it in `ask`; this mode wants the quotes.
    ask = getattr(answerer, "ask_extractive", answerer.ask)
    answer = ask(question, history)
    return AnswerStream(words_of(answer.answer), lambda: answer)


def llm_stream(answerer: Asker, question: str, history: History = ()) -> AnswerStream:
    """The language model's raw text as it is written, then its checked Answer (assistant.llm_chain).

    Citation markers can only be checked once the reply is complete, so the app shows the result's
    text in place of the streamed text. An answerer without `stream` answers in one piece.
    """
    stream = getattr(answerer, "stream", None)
    items = stream(question, history) if stream else iter([answerer.ask(question, history)])
    final: list[Answer] = []

    def pieces() -> Iterator[str]:
        for item in items:
            if isinstance(item, Answer):
                final.append(item)
            else:
                yield item

    return AnswerStream(pieces(), lambda: final[-1])


# Answer mode -> function building its stream. An LLM generator registers itself here under its
# mode name (the value of the `llm` setting), e.g. STREAMERS["ollama"] = llm_stream.
Streamer = Callable[[Asker, str, History], AnswerStream]
STREAMERS: dict[str, Streamer] = {
    "extractive": extractive_stream,
    "ollama": llm_stream,
    "openai": llm_stream,
}


def answer_modes(llm_setting: str) -> list[str]:
    """The answer modes the app may offer: extractive always, the LLM only when one is configured."""
    modes = ["extractive"]
    if llm_setting and llm_setting != "none" and llm_setting in STREAMERS:
        modes.append(llm_setting)
    return modes


def answer_stream(answerer: Asker, question: str, history: History = (),
                  mode: str = "extractive") -> AnswerStream:
    """Start answering `question` in the given mode (unknown modes fall back to extractive)."""
    streamer = STREAMERS.get(mode, extractive_stream)
    return streamer(answerer, question, history)
