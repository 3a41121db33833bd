"""Follow-up questions: "what about data?" only makes sense next to the question before it.

Retrieval runs on the follow-up joined with the previous question when the follow-up leans on it
(short, or pointing back with words like "it", "that" or "they"). A standalone question is used as
it is, so changing the subject mid-conversation works too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.retrieve.questions import plain_text

_POINTING_BACK = re.compile(
    r"\b(it|its|this|that|these|those|they|them|their|he|she|him|her|such|there|then|"
    r"what about|how about|and|also|else|more|who should|instead)\b",
    re.IGNORECASE,
)
_SHORT_WORDS = 6


def is_follow_up(question: str) -> bool:
    words = question.split()
    return len(words) <= _SHORT_WORDS or bool(_POINTING_BACK.search(question))


def retrieval_query(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The text to retrieve with: the question, plus the last question when it is a follow-up."""
    if not history or not is_follow_up(question):
        return question
    previous = plain_text(history[-1][0])
    return f"{previous} {question}"
