"""The one seam through which the chat app receives an answer: text pieces as they come, then the Answer.

The app calls `answer_stream(...)`, shows `stream.pieces()` as they arrive (st.write_stream) and then
renders `stream.result()` (citations, related sections, timings). The extractive answer is complete
before its first word is shown, so its pieces are simply its words. A language model's pieces are
its raw tokens (`Assistant.stream`); its citation markers are checked only when the reply is
complete, so the app replaces the streamed text with the final Answer's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from assistant.answer.steps import Answer

History = Sequence[tuple[str, str]]

_PIECE = re.compile(r"\S+\s*|\s+")


class Asker(Protocol):
    """`assistant.answer.pipeline.Assistant`, or anything answering the same way."""

    def ask(self, question: str, history: History = ()) -> Answer: ...

    def stream(self, question: str, history: History = ()) -> Iterator[str | Answer]: ...


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


def _from_items(items: Iterator[str | Answer]) -> AnswerStream:
    """Adapt `Assistant.stream` (raw text pieces, then the checked Answer last)."""
    final: list[Answer] = []

    def pieces() -> Iterator[str]:
        for item in items:
            if isinstance(item, Answer):
                final.append(item)
                return
            yield item

    def finish() -> Answer:
        if not final:
            raise RuntimeError("the answer stream ended without an answer")
        return final[0]

    return AnswerStream(pieces(), finish)


def answer_modes(answerer: object) -> list[str]:
    """The modes to offer: the language model first when one is configured, extractive always."""
    return ["llm", "extractive"] if getattr(answerer, "mode", "extractive") == "llm" else ["extractive"]


def answer_stream(answerer: Asker, question: str, history: History = (),
                  mode: str = "extractive") -> AnswerStream:
    """Start answering `question`: streamed from the language model when one is configured and
    the mode is not "extractive" ("llm", or the `llm` setting's value), else word by word."""
    if mode != "extractive" and getattr(answerer, "mode", "extractive") == "llm":
        return _from_items(answerer.stream(question, history))
    ask = getattr(answerer, "ask_extractive", answerer.ask)
    answer = ask(question, history)
    return AnswerStream(words_of(answer.answer), lambda: answer)
