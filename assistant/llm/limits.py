"""How long a model's reply may be, in words (checked here) and in tokens (asked of the server).

The prompt asks for `answer_words`; a reply running past half as much again is cut to whole
sentences, so a rambling model cannot bury the answer. The server is asked to stop a little after
that point, so its own cut falls in text we would drop anyway, and so a model that never stops (a
270M model will happily fill its whole context) costs seconds, not minutes. The client stops
reading at the same word limit whatever the server does with the token limit.
"""

from __future__ import annotations

import math

WORDS_TOLERANCE = 1.5
# English prose is about 1.3 tokens a word under the Llama, Gemma, Mistral and GPT tokenisers; a
# `[n]` marker after most sentences adds ~0.15. 1.6 leaves room for names and numbers, and the
# extra 16 tokens let a short limit still reach the end of a sentence.
TOKENS_PER_WORD = 1.6
_SPARE_TOKENS = 16


def reply_word_limit(answer_words: int) -> int:
    """Words of a reply kept at most (whole sentences up to this many)."""
    return max(1, int(answer_words * WORDS_TOLERANCE))


def reply_token_cap(answer_words: int) -> int:
    """The reply limit sent to the server, in tokens: a little past the word limit."""
    return math.ceil(reply_word_limit(answer_words) * TOKENS_PER_WORD) + _SPARE_TOKENS

