"""Names a question uses that the guide never does, so an answer can say so before it quotes.

Similarity cannot tell "How does the Procurement Act 2023 change buying?" from a question about
buying in general: the guide has plenty on buying, and one absent name barely moves the question's
vector. A name is something written as one: a run of capitalised words ("Freedom of Information
Act", "Leeds City Council"), an acronym or a mixed-case word ("GDPR", "ChatGPT"), a four-digit year,
or a quoted phrase. When the guide never uses a name the question does, the answer begins by saying
so, then gives what the guide says nearest to it: the councillor learns the guide is silent on that
thing without losing what it does say.

Matching is on stemmed words with stop words dropped, as BM25 sees them, so "councillors" matches
"councillor" and "Freedom of Information" matches "freedom of information". A name counts as used
when the guide has each of its words, each next to the word that follows it in the name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# A capitalised word as written, with an inner apostrophe or hyphen ("Kestrelmoor's"), or a year.
_CAPITAL = r"(?:[A-Z][A-Za-z0-9]*(?:['’-][A-Za-z0-9]+)*|[0-9]{4})"
_JOINER = r"(?:of|for|and|the|on|in|to|&)"  # small words inside a name: "Secretary of State"
_RUN = re.compile(rf"(?<![\w'’-]){_CAPITAL}(?:(?:\s+{_JOINER})*\s+{_CAPITAL})*")
# A quoted phrase: the opening quote after a space (so "council's" is no quote), closing before one.
_QUOTED = re.compile(r"(?:(?<=\s)|^)[\"“‘']([^\"“”‘’']{3,60})[\"”’'](?=[\s.,;:!?)]|$)")
_SENTENCE_END = re.compile(r"(?:^|[.?!:;\"“(]\s*|\n\s*)$")
# Capitalised only because they open a question or are the speaker: never names by themselves.
_PLAIN = frozenset(
    "i i'm i've i'd i'll a an the what whats what's how who whose which where when why is are was "
    "were does do did can could should would will shall may might must our my we us you your if "
    "in on at for to and or but so please tell explain give list describe any there this that these "
    "those has have had isn't aren't doesn't don't can't won't".split()
)
_MAX_NAMES = 5


def question_names(question: str) -> list[str]:
    """The names a question uses, as written, in order, without repeats."""
    found: list[str] = []
    for match in _QUOTED.finditer(question):
        found.append(match.group(1).strip())
    for match in _RUN.finditer(question):
        words = match.group(0).split()
        at_start = bool(_SENTENCE_END.search(question[: match.start()]))
        # Leading question words and a sentence's capitalised first word are not part of a name.
        while words and words[0].lower() in _PLAIN:
            words = words[1:]
            at_start = False
        if at_start and len(words) == 1 and not _looks_like_name(words[0]):
            continue
        if words:
            found.append(" ".join(words))
    unique = list(dict.fromkeys(n for n in found if n.strip()))
    return unique[:_MAX_NAMES]


def _looks_like_name(word: str) -> bool:
    """A sentence's first word is a name only if it could not be an ordinary capitalised word."""
    letters = word.replace("'", "").replace("’", "").replace("-", "")
    return letters.isdigit() or (len(letters) > 1 and letters.isupper()) or any(
        c.isupper() for c in letters[1:]
    )


def unmentioned(question: str, mentions: Callable[[str], bool]) -> list[str]:
    """The question's names that the guide never uses; `mentions` is `GuideIndex.mentions`."""
    return [name for name in question_names(question) if not mentions(name)]


def caveat(names: list[str]) -> str:
    """The sentence an answer opens with when the guide never uses some of the question's names."""
    quoted = [f"“{n}”" for n in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return (f"The guide does not mention {listed}, so it cannot say anything about "
            f"{'it' if len(names) == 1 else 'them'} directly. What it says that comes closest:")


def with_caveat(answer: str, names: list[str]) -> str:
    """The answer, opened by the caveat when there are names the guide never uses."""
    return f"{caveat(names)} {answer}" if names and answer else answer
