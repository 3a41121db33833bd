"""Oversized and hostile documents: each is refused while it is read, in one sentence naming the
file, the limit and the setting that raises it, and the index answers exactly as before.

The files are real and full size (tests/hostile_files.py): a Word zip bomb that unpacks to 220 MB,
the same bomb with zip headers that claim 1 KB, a Word paragraph of 12 million characters, a PDF of
5,000 blank pages, HTML nested 100,000 deep, Markdown of 12 million characters, files whose
extension lies, and an XML entity-expansion bomb. Memory while refusing each is
measured by bench/hostile.py, not here.
"""

from __future__ import annotations

import pytest
from guides import write_markdown, write_pdf
from hostile_files import (
    blank_pdf,
    long_markdown,
    nested_html,
    pdf_named_docx,
    word_bomb,
    word_bomb_understated,
    word_entity_bomb,
    word_named_pdf,
    word_one_huge_paragraph,
)
from index_state import kept_everything, observe

from assistant.cli.main import main
from assistant.errors import LimitError
from assistant.ingest.documents import SourceFile, read_sections
from assistant.ingest.limits import Limits
from assistant.ingest.pipeline import ingest

# name -> (maker, words the sentence must hold, the setting it names or None for a non-limit refusal)
HOSTILE = {
    "bomb.docx": (word_bomb, "more than 150 MB of contents once unzipped", "max_unpacked_mb"),
    # Headers that claim 1 KB: Python's zipfile would inflate all 220 MB in memory to find out.
    "understated.docx": (word_bomb_understated, "more than 10,000,000 characters of text",
                         "max_document_chars"),
    "paragraph.docx": (word_one_huge_paragraph, "more than 10,000,000 characters of text",
                       "max_document_chars"),
    "blank.pdf": (blank_pdf, "has 5,000 pages, over the limit of 2,000", "max_pdf_pages"),
    "nested.html": (nested_html, "nests its HTML more than 256 elements deep", "max_html_depth"),
    "long.md": (long_markdown, "more than 10,000,000 characters of text", "max_document_chars"),
    "really-a-pdf.docx": (lambda p: pdf_named_docx(p, write_pdf(p.with_name("source.pdf"))),
                          "is really a PDF, not a Word document", None),
    "really-word.pdf": (word_named_pdf, "is really a Word document, not a PDF", None),
    "laughs.docx": (word_entity_bomb, "not a readable Word document", None),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("hostile")
    made = {name: make(folder / name) for name, (make, _, _) in HOSTILE.items()}
    (folder / "source.pdf").unlink()
    return made


@pytest.fixture
def baseline(fresh_copy, embedder):
    return observe(fresh_copy, embedder)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_file_gets_its_sentence_and_the_index_is_untouched(name, hostile, fresh_copy,
                                                                        baseline, embedder):
    _, words, setting = HOSTILE[name]
    report = ingest([hostile[name]], fresh_copy, embedder)
    assert len(report.problems) == 1
    sentence = report.problems[0]
    assert sentence.startswith(name) and words in sentence
    # One sentence: a single full stop, at the end (numbers use commas, not points).
    assert "\n" not in sentence and sentence.endswith(".") and sentence[:-1].count(". ") == 0
    if setting:
        assert f"raise ASSISTANT_{setting.upper()} to read it" in sentence
        assert report.skipped == {name: f"over {setting}"}
    else:
        assert report.skipped == {name: "unreadable"}
    assert not report.published
    assert observe(fresh_copy, embedder) == baseline


def test_a_raised_limit_lets_the_same_file_in(tmp_path):
    """The setting named in the sentence really is the one that decides."""
    path = blank_pdf(tmp_path / "blank.pdf", pages=30)
    file = SourceFile(path, path.name)
    strict = Limits(document_chars=10**7, pdf_pages=20, unpacked_bytes=2**27, sections=100, html_depth=50)
    with pytest.raises(Exception, match="has 30 pages, over the limit of 20"):
        read_sections(file, limits=strict)
    with pytest.raises(Exception, match="no text that could be read"):  # read to the end: blank pages
        read_sections(file, limits=Limits(**{**strict.__dict__, "pdf_pages": 30}))


def test_a_word_file_is_measured_by_what_it_unpacks_to_not_what_it_declares(hostile):
    """With text allowed, the understated bomb is stopped by its actual unpacked size."""
    limits = Limits(document_chars=10**12, pdf_pages=10, unpacked_bytes=150 * 2**20, sections=10**6,
                    html_depth=50)
    file = SourceFile(hostile["understated.docx"], "understated.docx")
    with pytest.raises(LimitError, match=r"^understated.docx unpacks to more than 150 MB .*UNPACKED_MB"):
        read_sections(file, limits=limits)


def test_sections_are_counted_before_they_are_built(tmp_path):
    path = tmp_path / "headings.md"
    path.write_text("".join(f"## Heading {n}\n\nText {n}.\n\n" for n in range(1, 302)), encoding="utf-8")
    limits = Limits(document_chars=10**7, pdf_pages=10, unpacked_bytes=2**27, sections=300, html_depth=50)
    with pytest.raises(Exception, match=r"has 301 headings, over the limit of 300 sections.*MAX_SECTIONS"):
        read_sections(SourceFile(path, path.name), limits=limits)


def test_normal_html_nesting_is_not_mistaken_for_depth(tmp_path):
    """Paragraphs and list items a page leaves open do not add up as nesting."""
    from assistant.ingest.formats.html import nesting_depth

    page = "<html><body><ul>" + "<li>item <p>text" * 2000 + "</ul></body></html>"
    assert nesting_depth(page, 256) < 10
    assert nesting_depth("<div>" * 300, 256) == 257  # stops as soon as it knows


def test_one_ingest_takes_the_good_files_and_names_the_skipped(hostile, tmp_path, fresh_copy, baseline,
                                                               embedder, capsys):
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in ("bomb.docx", "blank.pdf", "nested.html"):
        (folder / name).symlink_to(hostile[name])
    write_markdown(folder / "good.md")
    code = main(["ingest", str(folder), "--index", str(fresh_copy.index)])
    out, err = capsys.readouterr()
    assert code == 1
    for name in ("bomb.docx", "blank.pdf", "nested.html"):
        assert f"assistant: {name} " in err
    assert "Skipped 3 file(s): blank.pdf (over max_pdf_pages), bomb.docx (over max_unpacked_mb), " \
           "nested.html (over max_html_depth)." in out
    assert "index updated" in out
    after = observe(fresh_copy, embedder)
    assert after["generation"] != baseline["generation"]
    assert kept_everything(baseline, after)
