"""Checking and tidying a question before it reaches retrieval."""

from __future__ import annotations

import re
import unicodedata

from assistant.errors import UsageError


def plain_text(text: str | None) -> str:
    """One line of printable text. Lone surrogates (e.g. undecodable bytes in a command line) would
    crash the tokenizer, so they go along with control characters."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") and ch != "\u200d" else ch
        for ch in text or ""
    )
    return re.sub(r"\s+", " ", cleaned).strip()


def clean_question(text: str | None, max_chars: int) -> str:
    """Collapse whitespace and drop control characters; refuse blank or overlong questions."""
    cleaned = plain_text(text)
    if not cleaned:
        raise UsageError("Please type a question: it was empty.")
    if len(cleaned) > max_chars:
        raise UsageError(
            f"That question is {len(cleaned):,} characters long; please keep it under "
            f"{max_chars:,} characters."
        )
    if not re.search(r"\w", cleaned):
        raise UsageError("Please type a question in words: that one has no letters or numbers.")
    return cleaned
