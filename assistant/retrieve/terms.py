"""The words that carry no topic, in one place for every part that compares wording.

BM25 (assistant.retrieve.index) drops `STOP_WORDS` before stemming; the answer composer
(assistant.answer.compose) drops those and `QUESTION_WORDS` too, since it compares a question's
words with the guide's sentences, and "how", "should" or "we" say what kind of answer is wanted,
not what it is about.
"""

from __future__ import annotations

import re

# The English list BM25 has always used (bm25s's "en"), spelled out so it lives here, not in a library.
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there "
    "these they this to was will with".split()
)
# Words of asking and of the asker: they shape the answer, not its subject.
QUESTION_WORDS = frozenset(
    "about any can do does from has have how i its me my our should so them us we what when where "
    "which who why would you your".split()
)
CONTENT_STOP_WORDS = STOP_WORDS | QUESTION_WORDS

_WORD = re.compile(r"[a-z0-9']+")


def content_words(text: str) -> frozenset[str]:
    """The lower-cased words of a text that say what it is about (three letters or more, unstemmed)."""
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in CONTENT_STOP_WORDS and len(w) > 2)
