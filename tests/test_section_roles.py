"""Section roles: read from a real file's structure, asked for by questions, and applied in fusion."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import index_one_guide

from assistant.answer.pipeline import Assistant
from assistant.answer.refusal import evidence
from assistant.evaluation.run import load_questions
from assistant.ingest.documents import SourceFile, read_sections
from assistant.retrieve.index import UNWEIGHTED_KEPT, GuideIndex
from assistant.retrieve.section_roles import Role, section_roles, wanted_roles

DEV = Path(__file__).parent / "eval" / "dev.jsonl"

GUIDE = """# Running a parish website

## About this guide

The parish council wrote this guide in 2024 for its clerks and councillors.

## 1 Getting started

This chapter covers the first steps.

### 1.1 Choosing a domain

Pick a short name that residents can remember. Register it in the parish's own name so it stays
with the parish when a clerk leaves. Renew it for several years at once.

### 1.2 Case study: Little Wendle goes online

Little Wendle's clerk built a simple site in a weekend. Residents used it to report potholes.
The parish later added meeting papers.

## 2 Questions for your clerk

Who renews the domain? Where are the passwords kept? What happens if the host goes bust?
How quickly are meeting papers published? Is there a backup?

### 2.1 Keeping the site up to date

Publish meeting papers a week ahead.

## 3 Glossary

### Domain
The address people type to reach a website.

### Host
The company whose computers serve the website.

## 4 A to Z

{entries}
"""
# Ten short entries under a heading that does not say "glossary": still a list of terms.
ENTRIES = "\n\n".join(
    f"### Term {n}\nTerm {n} is a short entry of a handful of words." for n in range(10)
)


@pytest.fixture(scope="module")
def roles(tmp_path_factory) -> dict[str, Role]:
    path = tmp_path_factory.mktemp("roles") / "parish.md"
    path.write_text(GUIDE.format(entries=ENTRIES), encoding="utf-8")
    sections = read_sections(SourceFile(path, path.name))
    found = section_roles({s.section_id: s for s in sections})
    return {s.title: found[s.section_id] for s in sections}


def test_roles_come_from_structure_and_wording(roles):
    assert roles["About this guide"] is Role.ABOUT
    assert roles["1 Getting started"] is Role.OVERVIEW
    assert roles["1.1 Choosing a domain"] is Role.EXPLANATION
    assert roles["1.2 Case study: Little Wendle goes online"] is Role.EXAMPLE
    # Its own text is longer than its one subsection's: a list of questions, not an overview.
    assert roles["2 Questions for your clerk"] is Role.QUESTIONS
    assert roles["2.1 Keeping the site up to date"] is Role.EXPLANATION
    assert roles["Domain"] is Role.DEFINITION and roles["Host"] is Role.DEFINITION
    assert all(roles[f"Term {n}"] is Role.DEFINITION for n in range(10))


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("What is full fibre?", {Role.DEFINITION}),
        ("What's ransomware?", {Role.DEFINITION}),
        ("What does 'digital by default' mean?", {Role.DEFINITION}),
        ("Define open data", {Role.DEFINITION}),
        ("Who is a data protection officer?", {Role.DEFINITION}),
        ("explain multi-factor authentication", {Role.DEFINITION}),
        ("What does SaaS stand for?", {Role.DEFINITION}),
        ("What is the council's duty to residents who cannot get online?", set()),
        ("Who should be in charge of digital at the council?", set()),
        ("What questions should I ask about cyber security?", {Role.QUESTIONS}),
        ("How can I challenge officers on supplier contracts?", {Role.QUESTIONS}),
        ("Is there an example of a council sharing its data?", {Role.EXAMPLE}),
        ("Give me a case study of flood sensors", {Role.EXAMPLE}),
        ("Who wrote this guide, and when was it published?", {Role.ABOUT}),
        ("What does the guide say about broadband?", set()),
    ],
)
def test_questions_ask_for_kinds_of_text(question, wanted):
    assert wanted_roles(question) == wanted


def test_a_plain_question_gets_the_explanation_and_a_definition_question_the_entry(tmp_path, embedder):
    settings = index_one_guide(tmp_path, "parish.md", GUIDE.format(entries=ENTRIES), embedder)
    assistant = Assistant(settings, embedder)
    how = assistant.ask("How should the parish register and renew its website domain?")
    what = assistant.ask("What is a host?")
    assert how.hits[0].section.title == "1.1 Choosing a domain"
    assert what.hits[0].section.title == "Host"


def test_priors_only_reorder_and_never_change_refusal(corpus_index, embedder):
    """Demoted sections only move down, and refusal sees what fusion ranked before the priors."""
    index = GuideIndex(corpus_index, embedder)
    questions = load_questions(DEV)
    neutral = {role: 1.0 for role in Role}
    # The shipped factors are all 1.0 (docs/quality.md); the mechanism is tested with real ones.
    demoted = {role: 0.6 for role in Role}
    moved = 0
    try:
        for q, vector in zip(questions, embedder.encode([q.question for q in questions])):
            rankings = index.rankings(q.question, vector)
            plain = index.fuse(q.question, rankings, 10, demotion=neutral)
            weighted = index.fuse(q.question, rankings, 10, demotion=demoted)
            assert [h.score for h in weighted] == sorted((h.score for h in weighted), reverse=True)
            # Everything fusion ranked best before the priors is still in the list for refusal.
            kept = {h.section.section_id for h in weighted}
            assert {h.section.section_id for h in plain[:UNWEIGHTED_KEPT]} <= kept
            assert evidence(weighted) == pytest.approx(evidence(plain))
            before = {h.section.section_id: i for i, h in enumerate(plain)}
            for i, hit in enumerate(weighted[:10]):
                if hit.prior < 1.0 and hit.section.section_id in before:
                    assert i >= before[hit.section.section_id]
            moved += [h.section.section_id for h in plain[:10]] != [
                h.section.section_id for h in weighted[:10]
            ]
    finally:
        index.close()
    # The companion has a glossary, question lists and chapter openings, so some orders change.
    assert moved > 0
