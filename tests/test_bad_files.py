"""Bad documents given to `ingest`: each is named in one clear message and the index stays as it was.

"As it was" is checked, not assumed: the live generation, its record counts and the full answer to a
probe question are compared before and after. (Reader-level messages for each format are tested in
test_formats.py; these tests go through the whole ingest, the way a person meets them.)
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from guides import write_markdown, write_pdf
from index_state import kept_everything, observe

import assistant.ingest.documents
from assistant.cli.main import main
from assistant.ingest.pipeline import ingest
from assistant.store.backend import COLLECTIONS


def _encrypted(path: Path) -> None:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=write_pdf(path.with_name("plain-for-lock.pdf")))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)


def _truncated(path: Path) -> None:
    data = write_pdf(path.with_name("whole.pdf")).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _junk_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("junk.bin", os.urandom(4096))
        archive.writestr("word/document.xml", b"<<this is not xml")


def _huge(path: Path) -> None:
    with path.open("wb") as handle:  # sparse: 200 MB on paper, nothing written to disk
        handle.truncate(200 * 2**20)


BAD_FILES = {
    "corrupt.pdf": (lambda p: p.write_bytes(b"%PDF-1.4\n" + os.urandom(8000)), "not a readable PDF"),
    "truncated.pdf": (_truncated, "not a readable PDF"),
    "locked.pdf": (_encrypted, "is encrypted"),
    "empty.pdf": (lambda p: p.write_bytes(b""), "is empty"),
    "junk.docx": (_junk_zip, "not a readable Word document"),
    "photo.txt": (lambda p: p.write_bytes(os.urandom(64 * 1024)), "binary file"),
    "huge.txt": (_huge, "over the 100 MB limit"),
}


@pytest.fixture
def baseline(fresh_copy, embedder):
    return observe(fresh_copy, embedder)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_named_and_the_index_is_untouched(name, tmp_path, fresh_copy, baseline, embedder):
    make, message = BAD_FILES[name]
    path = tmp_path / name
    make(path)
    report = ingest([path], fresh_copy, embedder)
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert name in problem and message in problem
    assert "\n" not in problem and "Traceback" not in problem
    assert not report.published
    assert observe(fresh_copy, embedder) == baseline


def test_bad_files_beside_a_good_one_only_the_good_one_goes_in(tmp_path, fresh_copy, baseline, embedder):
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, (make, _) in BAD_FILES.items():
        make(folder / name)
    for helper in folder.glob("*.pdf"):
        if helper.name not in BAD_FILES:
            helper.unlink()  # the intact PDFs the bad ones were cut from
    write_markdown(folder / "good.md")
    report = ingest([folder], fresh_copy, embedder)
    assert report.published and report.files == 1
    named = sorted(name for name in BAD_FILES if any(name in p for p in report.problems))
    assert named == sorted(BAD_FILES) and len(report.problems) == len(BAD_FILES)
    after = observe(fresh_copy, embedder)
    assert after["generation"] != baseline["generation"]
    assert all(after["counts"][k] > baseline["counts"][k] for k in COLLECTIONS)
    assert kept_everything(baseline, after)


def test_the_command_line_names_the_oversized_file_and_exits_1(tmp_path, fresh_copy, baseline,
                                                                embedder, capsys):
    path = tmp_path / "minutes.txt"
    _huge(path)
    code = main(["ingest", str(path), "--index", str(fresh_copy.index)])
    err = capsys.readouterr().err
    assert code == 1
    assert "minutes.txt is 200 MB, over the 100 MB limit" in err and "ASSISTANT_MAX_FILE_MB" in err
    assert observe(fresh_copy, embedder) == baseline


@pytest.mark.parametrize(
    ("moment", "message"),
    [("before reading", "could not be read"), ("while reading", "disappeared while it was being read")],
)
def test_a_file_that_vanishes_mid_ingest(moment, message, tmp_path, fresh_copy, baseline, embedder,
                                         monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    doomed = write_markdown(folder / "doomed.md")
    real_reader_for = assistant.ingest.documents.reader_for

    def reader_for(path: Path):
        # The file is found by the folder scan, then deleted at the chosen moment.
        reader = real_reader_for(path)
        if moment == "before reading":
            path.unlink()
            return reader

        def vanishing(target: Path, limits):
            target.unlink()
            return reader(target, limits)

        return vanishing

    monkeypatch.setattr(assistant.ingest.documents, "reader_for", reader_for)
    report = ingest([folder], fresh_copy, embedder)
    assert not doomed.exists()
    assert report.problems == [report.problems[0]] and "doomed.md" in report.problems[0]
    assert message in report.problems[0]
    assert observe(fresh_copy, embedder) == baseline
