"""Ingest into a real Chroma index and ask about it: citations, incremental updates, rebuilds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, make_settings
from guides import EXPECTED

from assistant.answer.pipeline import Assistant
from assistant.errors import IndexMismatchError, UsageError
from assistant.ingest.chunking import chunk_section
from assistant.ingest.documents import SourceFile, read_sections
from assistant.ingest.pipeline import ingest
from assistant.store.catalogue import Catalogue
from assistant.store.generations import Generation, IndexInfo, open_generation
from assistant.store.local import LocalBackend


@pytest.fixture(scope="module")
def formats_assistant(formats_index, embedder) -> Assistant:
    return Assistant(formats_index, embedder)


def info(settings) -> dict:
    catalogue = Catalogue.open(settings)
    try:
        return catalogue.info()
    finally:
        catalogue.generation.close()


def stored(settings, kind: str) -> dict:
    """Every record of one collection of the live generation: ids, documents and metadata."""
    generation = open_generation(settings)
    try:
        return generation.collections[kind].get(include=["documents", "metadatas"])
    finally:
        generation.close()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_format_answers_with_its_section_cited(formats_assistant, kind):
    expected = EXPECTED[kind]
    answer = formats_assistant.ask(expected.question)
    assert not answer.refused, answer.answer
    first = answer.citations[0].section
    assert (first.source, first.path, first.page_start) == (expected.source, expected.path, expected.page)
    assert "[1]" in answer.answer
    assert answer.hits[0].section.section_id == first.section_id


def test_index_holds_every_heading_of_every_format(formats_index, generated_guides):
    expected = {
        s.section_id
        for path in generated_guides.values()
        for s in read_sections(SourceFile(path, path.name))
    }
    data = info(formats_index)
    assert data["files"] == len(generated_guides)
    assert data["sections"] == len(expected)
    assert set(stored(formats_index, "sections")["ids"]) == expected
    assert data["model"] == "all-MiniLM-L6-v2" and data["dimension"] == 384


def test_pdf_pages_are_stored_and_other_formats_have_none(formats_index):
    pages = {
        m["section_id"]: (m["source"], m.get("page_start"), m.get("page_end"))
        for m in stored(formats_index, "sections")["metadatas"]
    }
    register = [v for k, v in pages.items() if "open-data-register" in k]
    assert register == [("resilience.pdf", 2, 3)]
    assert all(start is None for source, start, _ in pages.values() if not source.endswith(".pdf"))


def test_reingesting_an_unchanged_guide_embeds_and_adds_nothing(tmp_path, formats_index, embedder,
                                                                 generated_guides):
    index = tmp_path / "index"
    shutil.copytree(formats_index.index, index)
    settings = formats_index.replace(index=index)
    before = info(settings)
    report = ingest(list(generated_guides.values()), settings, embedder)
    assert report.embedded == 0 and not report.published
    assert report.unchanged_files == len(generated_guides)
    assert "index unchanged" in report.summary()
    assert info(settings) == before  # same generation, same counts, same build time


def test_editing_a_document_replaces_its_stale_chunks(fresh_copy, tmp_path, embedder):
    guide = tmp_path / "mini-guide.md"  # the same source name as the indexed fixture
    original = (FIXTURES / "mini-guide.md").read_text(encoding="utf-8")
    removed = "Personal information about residents is never published as open data."
    added = "Open data should carry a licence that says how it may be reused."
    assert removed in original
    write(guide, original.replace(removed, added))
    before = info(fresh_copy)
    report = ingest([guide], fresh_copy, embedder)
    assert report.published
    assert report.embedded == 1  # only the open data chunk changed; every other vector is reused
    chunk_text = " ".join(stored(fresh_copy, "chunks")["documents"])
    sentences = stored(fresh_copy, "sentences")["documents"]
    assert removed not in chunk_text and removed not in sentences
    assert added in chunk_text and added in sentences
    after = info(fresh_copy)
    assert (after["sections"], after["chunks"]) == (before["sections"], before["chunks"])
    answer = Assistant(fresh_copy, embedder).ask("Is personal information published as open data?")
    assert all(removed not in c.quote for c in answer.citations)
    assert removed not in answer.answer


def test_the_same_paragraph_in_two_documents_stays_two_chunks(tmp_path, embedder):
    shared = "Ward surgeries let residents meet their councillor in person every month."
    for name in ("north.md", "south.md"):
        write(tmp_path / "guides" / name, f"# Surgeries\n\n{shared}\n")
    settings = make_settings(tmp_path / "index")
    report = ingest([tmp_path / "guides"], settings, embedder)
    assert report.chunks == 2 and report.embedded == 2
    chunks = stored(settings, "chunks")
    owners = sorted(m["source"] for d, m in zip(chunks["documents"], chunks["metadatas"]) if d == shared)
    assert owners == ["north.md", "south.md"]
    answer = Assistant(settings, embedder).ask("When can residents meet their councillor?")
    assert answer.hits[0].section.source in {"north.md", "south.md"}
    assert {h.section.source for h in answer.hits[:2]} == {"north.md", "south.md"}


def test_the_same_paragraph_under_two_same_named_headings_ingests(tmp_path, embedder):
    guide = write(tmp_path / "repeat.md", "# Guide\n\n## Summary\n\nRead this first.\n\n"
                  "## Detail\n\nThe detail.\n\n## Summary\n\nRead this first.\n")
    settings = make_settings(tmp_path / "index")
    report = ingest([guide], settings, embedder)
    assert report.published and report.chunks == 3
    chunks = stored(settings, "chunks")
    assert chunks["documents"].count("Read this first.") == 2
    assert len({m["section_id"] for m in chunks["metadatas"]}) == 3


def test_a_file_removed_from_a_folder_leaves_the_index(tmp_path, embedder):
    folder = tmp_path / "guides"
    write(folder / "keep.md", "# Parking\n\nResidents' parking permits are renewed every year.\n")
    gone = write(folder / "gone.md", "# Allotments\n\nThe parks team keeps the allotment waiting list.\n")
    loose = write(tmp_path / "loose.md", "# Libraries\n\nLibraries open late on Thursdays.\n")
    settings = make_settings(tmp_path / "index")
    ingest([folder, loose], settings, embedder)
    assert info(settings)["sources"] == ["gone.md", "keep.md", "loose.md"]
    gone.unlink()
    report = ingest([folder], settings, embedder)
    assert report.removed_sources == ["gone.md"] and report.embedded == 0
    assert "Removed 1 file(s)" in report.summary()
    # A file ingested on its own is not part of the folder and stays.
    assert info(settings)["sources"] == ["keep.md", "loose.md"]
    assert all(m["source"] != "gone.md" for m in stored(settings, "sentences")["metadatas"])


def test_rebuild_starts_afresh_from_what_it_is_given(fresh_copy, tmp_path, embedder):
    other = write(tmp_path / "roads.md", "# Roads\n\nPotholes reported online are inspected within a week.\n")
    ingest([other], fresh_copy, embedder)
    first = info(fresh_copy)
    assert first["sources"] == ["mini-guide.md", "roads.md"]
    report = ingest([other], fresh_copy, embedder, rebuild=True)
    assert report.published and report.embedded == 1  # nothing is reused from the old index
    second = info(fresh_copy)
    assert second["sources"] == ["roads.md"] and second["sections"] == 1
    assert second["generation"] != first["generation"]


def _record_other_model(settings) -> None:
    backend = LocalBackend(settings.index)
    generation = Generation(backend, backend.current())
    try:
        generation.set_info(IndexInfo("another-model", 768, "2026-01-01T00:00:00Z", schema=1))
    finally:
        generation.close()


def test_an_index_built_by_another_model_says_reingest(fresh_copy, embedder):
    _record_other_model(fresh_copy)
    with pytest.raises(IndexMismatchError, match=r"another-model.*re-run `assistant ingest --rebuild`"):
        Assistant(fresh_copy, embedder)
    with pytest.raises(IndexMismatchError, match="re-run"):
        ingest([FIXTURES / "mini-guide.md"], fresh_copy, embedder)
    report = ingest([FIXTURES / "mini-guide.md"], fresh_copy, embedder, rebuild=True)
    assert report.published
    assert not Assistant(fresh_copy, embedder).ask("What is open data?").refused


def test_nothing_to_ingest_is_a_usage_error(tmp_path, embedder):
    settings = make_settings(tmp_path / "index")
    with pytest.raises(UsageError, match="does not exist"):
        ingest([tmp_path / "missing"], settings, embedder)
    assert LocalBackend(settings.index).current() is None


_DENSE = " ".join(
    f"Ref DPIA/{n:04d} (2018-05-{n % 28 + 1:02d}): £{n * 1234:,}; ISO27001 §{n}.{n % 7}." for n in range(30)
)


def test_chunks_fit_the_model_window_with_their_heading_context(tmp_path, embedder, formats_index):
    # Numbers and codes take several word pieces per character: a character budget alone overflows.
    guide = write(
        tmp_path / "annex.md",
        "# Technical annex\n\n## Annex B: References, identifiers and standards used by the council\n\n"
        + _DENSE + "\n\n" + "Plain words make a plain paragraph that is easy to read. " * 12 + "\n",
    )
    limit = embedder.max_tokens - 2  # [CLS] and [SEP] share the window
    sections = read_sections(SourceFile(guide, guide.name))
    unchecked = [c for s in sections for c in chunk_section(s, 900)]
    assert max(embedder.token_count(c.embed_text) for c in unchecked) > limit  # the case is real
    settings = make_settings(tmp_path / "index")
    ingest([guide], settings, embedder)
    for index in (settings, formats_index):
        chunks = stored(index, "chunks")
        for text, meta in zip(chunks["documents"], chunks["metadatas"]):
            embedded = f"{meta['context']}: {text}"
            assert embedder.token_count(embedded) <= limit, embedded[:80]
    annex = stored(settings, "chunks")["documents"]
    # Nothing is lost by cutting: every reference survives in some chunk.
    joined = " ".join(annex)
    assert all(f"DPIA/{n:04d}" in joined for n in range(30))


def test_a_file_that_breaks_keeps_its_last_good_version(tmp_path, embedder):
    folder = tmp_path / "guides"
    guide = write(folder / "parking.md", "# Parking\n\nResidents' parking permits are renewed every year.\n")
    write(folder / "roads.md", "# Roads\n\nPotholes reported online are inspected within a week.\n")
    settings = make_settings(tmp_path / "index")
    ingest([folder], settings, embedder)
    before = info(settings)
    guide.write_bytes(b"\x00\x01\x02 this file was overwritten by a crashed editor \x00")
    report = ingest([folder], settings, embedder)
    assert report.problems and "parking.md" in report.problems[0]
    assert not report.published and report.removed_sources == []
    assert info(settings) == before
    assert "Residents' parking permits are renewed every year." in stored(settings, "chunks")["documents"]
