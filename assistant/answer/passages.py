"""How a section's sentences sit in its text: which ones lean on the sentence before, which point
forward to what follows, which talk about the text itself, and which belong to a list.

Shared by the composer (assistant.answer.compose), which must not quote such sentences as if they
stood alone, and by the shape checker (assistant.evaluation.answer_shape), which counts it when one is.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from assistant.ingest.sentences import split_sentences

# Openings that point back at the sentence before: a pronoun or demonstrative standing for it
# ("That means…"), or a connective continuing it ("So…", "However, …"). A connective counts only with
# its comma: "However good the site is, …" stands on its own.
LEANS_BACK = re.compile(
    r"(?:that|this|these|those|it|its|they|their|them|such|both|he|she|his|her|so|but|yet|"
    r"also|then|thus|therefore|instead|otherwise|either way|the answer)\b"
    r"|(?:however|first|second|third|finally|next|similarly|likewise|in addition|as a result|"
    r"for example|for instance|in short|in turn)\s*,",
    re.IGNORECASE,
)
# "It" with nothing before it: "It's natural to…", "It can be confusing when…".
_EMPTY_IT = re.compile(
    r"it(?:'s|’s| is| was| can be| may be| will be| would be)\s+(?:\w+\s+){0,3}?(?:to|that|when|if|for)\b",
    re.IGNORECASE,
)
# A section's opening that names the section's own subject by pointing ("This scenario is invented",
# "These questions help you…"): fine under its heading, dangling in an answer without it.
_POINTS_AT_HEADING = re.compile(
    r"(?:this|these|that|those)\s+(?!(?:is|was|are|were|means?|meant|can|could|will|would|may|might|"
    r"helps?|makes?|gives?|shows?|matters?)\b)[a-z]+\b",
    re.IGNORECASE,
)
# Endings that point at what follows ("…looks like this.", "…as follows:"): without it they say nothing.
_POINTS_FORWARD = re.compile(
    r"(?:\blike this|\bas follows|\bthe following|\bbelow|\bthese|\bthis)\s*[.:]?[\"”’)]*\s*$|:\s*$",
    re.IGNORECASE,
)
# Sentences about the document itself rather than its subject: "The rest of this section is general
# background", "Only one report says this", "Both are context, not the guide's own words".
_ABOUT_THE_TEXT = re.compile(
    r"\b(?:this|the rest of this|the next|the previous|that) (?:section|part|chapter|page|companion|"
    r"document|paper|article)\b(?! (?:of|on|for|to) )"
    r"|\bonly one (?:report|source|article)\b|\breports? (?:say|says|said) no more\b"
    r"|\b(?:the|its|our) own words\b|\bwe keep it short\b|\bwe have not invented\b"
    r"|\bis cut off\b",
    re.IGNORECASE,
)
# A list item runs to this many words at most; a longer paragraph after a lead-in is prose again.
_MAX_ITEM_WORDS = 40
# A labelled item opens with a label of at most this many words; a run of this many makes a list.
_LABEL_WORDS = 5
# A question opening each of a run of paragraphs labels them too ("Who owns digital? If nobody…").
_QUESTION_LABEL_WORDS = 20
_MIN_LABELLED = 3
# Items after the first may run to twice its length, or to this many words when it is very short.
_SHORT_ITEM_WORDS = 25


def leans_back(sentence: str) -> bool:
    """Whether a sentence opens by pointing at the one before it."""
    text = sentence.lstrip(" \"“‘'(")
    return bool(LEANS_BACK.match(text)) and not _EMPTY_IT.match(text)


def points_at_heading(sentence: str) -> bool:
    """Whether a sentence opens "This scenario…", "These questions…": at a section's start it means
    the section, which an answer quoting it does not show."""
    return bool(_POINTS_AT_HEADING.match(sentence.lstrip(" \"“‘'(")))


def points_forward(sentence: str) -> bool:
    """Whether a sentence ends by pointing at what follows it (a list lead-in, "like this")."""
    return bool(_POINTS_FORWARD.search(sentence.strip()))


def about_the_text(sentence: str) -> bool:
    """Whether a sentence talks about the document or its sources rather than the subject."""
    return bool(_ABOUT_THE_TEXT.search(sentence))


def bullet_text(sentences: list[str], keep: Collection[str] = ()) -> str:
    """An item as one bullet: its first sentence, the next too when the first is only a label, and
    any later ones in `keep` (those the answer chose to quote)."""
    label = sentences[0].rstrip()
    short = len(label.split()) <= _LABEL_WORDS or label.endswith("?")
    shown = 2 if len(sentences) > 1 and short else 1
    return " ".join(sentences[:shown] + [s for s in sentences[shown:] if s in keep])


def list_structure(text: str) -> dict[int, tuple[int, int]]:
    """For each sentence (by its order in the section) that belongs to a list item: (the order of the
    list's lead-in sentence, the order of the item's first sentence).

    Headings and bullet markers are gone by the time a section is stored, so a list is read from its
    shape: a paragraph ending in a colon, then the short paragraphs after it.
    """
    items: dict[int, tuple[int, int]] = {}
    paragraphs = [split_sentences(p) for p in re.split(r"\n\s*\n", text)]
    paragraphs = [p for p in paragraphs if p]
    starts = [0]  # each paragraph's first sentence, by order in the section
    for sentences in paragraphs[:-1]:
        starts.append(starts[-1] + len(sentences))
    lead: int | None = None
    first: list[str] = []  # the list's first item, whose shape the others share
    for at, sentences in enumerate(paragraphs):
        order = starts[at]
        if lead is not None and _like_an_item(sentences, first):
            first = first or sentences
            for i in range(len(sentences)):
                items[order + i] = (lead, order)
        else:
            lead, first = None, []
        if sentences[-1].rstrip().endswith(":"):
            lead, first = order + len(sentences) - 1, []
    _labelled_items(paragraphs, starts, items)
    return items


def _labelled_items(paragraphs: list[list[str]], starts: list[int], items: dict) -> None:
    """Runs of paragraphs that each open with a short label ("Buy outcomes, not features. Describe
    the problem…"), the shape a bold-led list has once its bold is gone: each paragraph is an item,
    and the sentence before the run is its lead-in."""
    run: list[int] = []
    for at in range(len(paragraphs) + 1):
        sentences = paragraphs[at] if at < len(paragraphs) else []
        label = sentences[0].rstrip() if sentences else ""
        labelled = (len(sentences) >= 2 and starts[at] not in items
                    and ((len(label.split()) <= _LABEL_WORDS and label.endswith("."))
                         or (len(label.split()) <= _QUESTION_LABEL_WORDS and label.endswith("?"))))
        if labelled:
            run.append(at)
            continue
        if len(run) >= _MIN_LABELLED and starts[run[0]] > 0:
            lead = starts[run[0]] - 1
            for item in run:
                for i in range(len(paragraphs[item])):
                    items[starts[item] + i] = (lead, starts[item])
        run = []


def _like_an_item(sentences: list[str], first: list[str]) -> bool:
    """Whether a paragraph after a lead-in is another item: short, no lead-in itself, and shaped like
    the first item (both opening in lower case or both not; not much longer)."""
    words = sum(len(s.split()) for s in sentences)
    if sentences[-1].rstrip().endswith(":") or words > _MAX_ITEM_WORDS:
        return False
    if not first:
        return True
    first_words = sum(len(s.split()) for s in first)
    same_case = sentences[0][:1].islower() == first[0][:1].islower()
    return same_case and words <= max(2 * first_words, _SHORT_ITEM_WORDS)
