"""Questions asking for something the sections found plainly lack: a figure, a date, or a name the
guide uses only elsewhere.

"How much should we pay a CDO?" finds the CDO section, which gives no pay at all; quoting its
definition without a word would answer beside the point. When a question asks for an amount or a
date and none of the sections the answer quotes holds one, or names something (the NHS) that none
of them mentions, the answer says so first, as it does for names the guide never uses
(assistant.answer.unmentioned).
"""

from __future__ import annotations

import re

from assistant.answer.unmentioned import question_names

# Asking for an amount or a date, not merely mentioning costs or time: "How much…", "What does it
# cost?", "When was…?"; never "When we replace laptops…" or "Can we charge a fee?".
_ASKS_FIGURE = re.compile(
    r"\bhow\s+(much|many)\b|\b(salary|salaries)\b"
    r"|\bwhat\s+(is|are|was|were|would|will|does|do|did)\s+(the\s+|it\s+|they\s+)?"
    r"(cost|costs|price|budget|fee|fees|figure|amount|percentage)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"^\s*when\s+(was|were|did|will|is|are|does|do)\b|\b(what|which)\s+(date|year|day|month)\b"
    r"|\bdeadline\b|\bby\s+when\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"[£$€]|\d|\b(hundreds?|thousands?|millions?|billions?|per\s+cent|percent)\b", re.I)
_DATE = re.compile(
    r"\b(1[89]|20)\d\d\b|\b(january|february|march|april|may|june|july|august|september|october|"
    r"november|december)\b",
    re.IGNORECASE,
)


def lacking(question: str, texts: list[str]) -> str | None:
    """"figure" or "date" when the question asks for one and none of `texts` has one; else None."""
    joined = " ".join(texts)
    if _ASKS_FIGURE.search(question) and not _FIGURE.search(joined):
        return "figure"
    if _ASKS_DATE.search(question) and not _DATE.search(joined):
        return "date"
    return None


def lacking_note(what: str) -> str:
    """The sentence an answer opens with when the sections quoted lack what was asked for."""
    return f"The guide does not give a {what} for this; what it says that comes closest:"


def unquoted_names(question: str, texts: list[str], never_used: list[str]) -> list[str]:
    """Names in the question that the guide uses somewhere but none of the quoted sections do: the
    answer is about something near them, and should say so ("How do we share data with the NHS?")."""
    joined = " ".join(texts).lower()
    return [n for n in question_names(question) if n not in never_used and n.lower() not in joined]


def elsewhere_note(names: list[str]) -> str:
    quoted = [f"“{n}”" for n in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return (f"The sections that answer this do not mention {listed}; the guide mentions "
            f"{'it' if len(names) == 1 else 'them'} only in passing elsewhere. What they say:")
