"""The command-line contract: output shapes, exit codes, and one clear sentence for every bad input.

Most cases call `assistant.cli.main.main` in-process so the model loads once; a few run the real
`python -m assistant` and the `assistant` console script end to end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, PROJECT
from guides import EXPECTED, write_markdown

from assistant.cli import main as cli
from assistant.store.generations import Generation, IndexInfo
from assistant.store.local import LocalBackend

PROBE = "What should a bin collection app tell residents?"
_MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module", autouse=True)
def shared_model(cli_model):
    """Every command here runs in-process on the session's model."""


@pytest.fixture(autouse=True)
def no_settings_from_the_environment(monkeypatch):
    """A developer's own ASSISTANT_* variables (an LLM, another index) must not change these tests."""
    for name in [k for k in os.environ if k.startswith("ASSISTANT_")]:
        monkeypatch.delenv(name)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def ask_json(capsys, index: Path, question: str) -> dict:
    code, out, err = run(capsys, "ask", question, "--json", "--index", index)
    assert code == 0, err
    return json.loads(out)


def snapshot(capsys, index: Path) -> tuple[dict, str, list]:
    """What a person would see of an index: its info, and the answer to a probe question."""
    code, out, err = run(capsys, "info", "--json", "--index", index)
    assert code == 0, err
    probe = ask_json(capsys, index, PROBE)
    return json.loads(out), probe["answer"], [c["section_id"] for c in probe["citations"]]


def assert_one_sentence(err: str, *names: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, "nothing on stderr"
    assert "Traceback" not in err and "Error:" not in err
    for line in lines:
        assert line.startswith("assistant: ") and line.rstrip().endswith((".", ")")), line
    for name in names:
        assert name in err


@pytest.fixture(scope="module")
def writable(tmp_path_factory, formats_index) -> Path:
    """A copy of the formats index that failing commands are aimed at; it must never change."""
    index = tmp_path_factory.mktemp("cli") / "index"
    shutil.copytree(formats_index.index, index)
    return index


@pytest.fixture(scope="module")
def baseline(writable) -> tuple[dict, str, list]:
    # capsys is function-scoped; read the baseline through the same code with our own capture.
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(["info", "--json", "--index", str(writable)]) == 0
    info = json.loads(out.getvalue())
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(["ask", PROBE, "--json", "--index", str(writable)]) == 0
    probe = json.loads(out.getvalue())
    return info, probe["answer"], [c["section_id"] for c in probe["citations"]]


# --- output contract -------------------------------------------------------------------------


def test_ingest_prints_a_summary_and_a_second_run_adds_nothing(capsys, tmp_path):
    guide = write_markdown(tmp_path / "housing.md")
    index = tmp_path / "index"
    code, out, err = run(capsys, "ingest", guide, "--index", index)
    assert code == 0, err
    summary = out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"1 file\(s\), 5 sections, 5 chunks; 5 new vectors; index updated in \d+\.\d s\.", summary
    ), summary
    code, out, _ = run(capsys, "ingest", guide, "--index", index)
    assert code == 0
    assert "0 new vectors; index unchanged" in out and "1 file(s) had not changed" in out


def _check_types(item: dict, fields: dict) -> None:
    for name, kind in fields.items():
        assert name in item, name
        assert isinstance(item[name], kind), (name, item[name])


def check_contract(data: dict) -> None:
    _check_types(data, {"question": str, "answer": str, "refused": bool, "citations": list,
                        "retrieved": list, "timings_ms": dict})
    for citation in data["citations"]:
        _check_types(citation, {"n": int, "section_id": str, "title": str, "path": list, "source": str,
                                "page": (int, type(None)), "quote": str, "score": float})
        assert all(isinstance(h, str) for h in citation["path"]) and citation["path"][-1] == citation["title"]
        assert citation["quote"] and not isinstance(citation["score"], bool)
    for hit in data["retrieved"]:
        _check_types(hit, {"section_id": str, "title": str, "path": list, "source": str,
                           "page": (int, type(None)), "score": float})
    assert all(isinstance(v, float | int) and v >= 0 for v in data["timings_ms"].values())
    assert {"check", "embed", "retrieve", "compose"} <= set(data["timings_ms"])


def check_markers(data: dict) -> None:
    """Every [n] maps to a citation, every citation is used, and each section has one number."""
    numbers = [c["n"] for c in data["citations"]]
    assert len(numbers) == len(set(numbers))
    assert len({c["section_id"] for c in data["citations"]}) == len(numbers)
    assert {int(n) for n in _MARKER.findall(data["answer"])} == set(numbers)


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_ask_json_follows_the_contract(capsys, formats_index, kind):
    expected = EXPECTED[kind]
    data = ask_json(capsys, formats_index.index, expected.question)
    check_contract(data)
    check_markers(data)
    assert data["question"] == expected.question and not data["refused"]
    first = data["citations"][0]
    assert first["n"] == 1
    assert (first["source"], tuple(first["path"]), first["page"]) == (
        expected.source, expected.path, expected.page)
    assert len(data["retrieved"]) >= 10  # the index holds 25 sections
    scores = [h["fused_score"] for h in data["retrieved"] if "fused_score" in h]
    assert scores == sorted(scores, reverse=True)


def test_ask_prints_the_answer_and_its_sources(capsys, formats_index):
    code, out, err = run(capsys, "ask", EXPECTED["pdf"].question, "--index", formats_index.index)
    assert code == 0, err
    answer, sources = out.split("\nSources:\n")
    assert "phishing drills" in answer and "[1]" in answer
    assert "  [1] Play 4: Cyber resilience — resilience.pdf, p. 4" in sources.splitlines()


def test_info_json_counts_are_integers(capsys, formats_index):
    code, out, err = run(capsys, "info", "--json", "--index", formats_index.index)
    assert code == 0, err
    data = json.loads(out)
    for key in ("files", "sections", "chunks"):
        assert isinstance(data[key], int) and not isinstance(data[key], bool)
    assert (data["files"], data["sections"]) == (5, 25)
    assert data["chunks"] >= data["sections"] - 1  # a section with no text of its own has no chunk
    assert data["model"] == "all-MiniLM-L6-v2" and re.match(r"\d{4}-\d\d-\d\dT", data["built_at"])


def test_sections_indents_by_level(capsys, formats_index):
    code, out, err = run(capsys, "sections", "--index", formats_index.index)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 25
    start = lines.index("Buying Technology")
    assert lines[start:start + 4] == ["Buying Technology", "  Cloud contracts", "  Open standards", "Skills"]
    start = lines.index("1 Repairs")
    assert lines[start:start + 3] == ["1 Repairs", "  1.1 Reporting a repair online",
                                      "  1.2 Emergency repairs"]


# --- bad input: usage problems (exit 2) ------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "it was empty"),
        ("   \t\n  ", "it was empty"),
        ("\x00\x1b\x07", "it was empty"),
        ("open data " * 9_999 + "open data?", "100,000 characters long"),
        ("🙂🙂 ❓", "no letters or numbers"),
    ],
    ids=["empty", "whitespace", "only-control", "100k", "only-emoji"],
)
def test_bad_questions_are_usage_errors(capsys, writable, baseline, question, message):
    code, out, err = run(capsys, "ask", question, "--json", "--index", writable)
    assert code == 2 and out == ""
    assert_one_sentence(err, message)
    assert snapshot(capsys, writable) == baseline


def test_ask_before_any_ingest_says_to_ingest_first(capsys, tmp_path):
    code, out, err = run(capsys, "ask", "What is open data?", "--index", tmp_path / "nothing-here")
    assert code == 2 and out == ""
    assert_one_sentence(err, "run `assistant ingest` first")
    code, _, err = run(capsys, "info", "--json", "--index", tmp_path / "nothing-here")
    assert code == 2
    assert_one_sentence(err, "run `assistant ingest` first")


def test_missing_path_is_named(capsys, writable, baseline, tmp_path):
    code, _, err = run(capsys, "ingest", tmp_path / "no-such-guide.pdf", "--index", writable)
    assert code == 2
    assert_one_sentence(err, "no-such-guide.pdf", "does not exist")
    assert snapshot(capsys, writable) == baseline


def test_a_folder_with_no_documents_is_named(capsys, writable, baseline, tmp_path):
    (tmp_path / "README.md").write_text("Only notes here.\n", encoding="utf-8")
    code, _, err = run(capsys, "ingest", tmp_path, "--index", writable)
    assert code == 2
    assert_one_sentence(err, str(tmp_path), "No guide documents found")
    assert snapshot(capsys, writable) == baseline


def test_an_index_path_that_is_a_file_is_one_sentence(capsys, tmp_path):
    taken = tmp_path / "index"
    taken.write_text("not a folder", encoding="utf-8")
    code, _, err = run(capsys, "ingest", FIXTURES / "mini-guide.md", "--index", taken)
    assert code == 1
    assert_one_sentence(err, str(taken), "cannot be written")
    assert taken.read_text(encoding="utf-8") == "not a folder"


def test_control_characters_and_emoji_in_a_question_still_get_an_answer(capsys, formats_index):
    question = "\x1b[31mHow often\x00 should the council run 🎣 phishing\u200b drills?\x07 🙂"
    data = ask_json(capsys, formats_index.index, question)
    check_contract(data)
    assert not data["refused"]
    assert data["citations"][0]["path"] == ["Play 4: Cyber resilience"]
    assert not re.search(r"[\x00-\x1f\x7f]", data["question"])
    assert "phishing" in data["question"] and "🙂" in data["question"]


# --- bad input: files that cannot be read (exit 1) -------------------------------------------


def _encrypted(path: Path, source: Path) -> None:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(source))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)


BAD_FILES = {
    "empty.md": ("is empty", lambda p, g: p.write_bytes(b"")),
    "corrupt.pdf": ("not a readable PDF", lambda p, g: p.write_bytes(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj <<")),
    "encrypted.pdf": ("encrypted", lambda p, g: _encrypted(p, g["pdf"])),
    "photo.txt": ("binary file", lambda p, g: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)),
    "slides.pptx": ("unsupported file type .pptx", lambda p, g: p.write_bytes(b"PK\x03\x04slides")),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_named_and_the_index_is_untouched(capsys, tmp_path, writable, baseline,
                                                        generated_guides, name):
    message, make = BAD_FILES[name]
    path = tmp_path / name
    make(path, generated_guides)
    code, out, err = run(capsys, "ingest", path, "--index", writable)
    assert code == 1
    assert_one_sentence(err, name, message)
    assert snapshot(capsys, writable) == baseline


def test_a_folder_with_one_bad_file_ingests_the_good_ones(capsys, tmp_path, formats_index, generated_guides):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(FIXTURES / "mini-guide.md", folder / "mini-guide.md")
    shutil.copy(generated_guides["docx"], folder / "extra.docx")
    BAD_FILES["corrupt.pdf"][1](folder / "corrupt.pdf", generated_guides)
    index = tmp_path / "index"
    shutil.copytree(formats_index.index, index)
    code, out, err = run(capsys, "ingest", folder, "--index", index)
    assert code == 1
    assert_one_sentence(err, "corrupt.pdf", "not a readable PDF")
    assert "mini-guide.md" not in err and "extra.docx" not in err
    assert "2 file(s)" in out and "index updated" in out
    code, out, _ = run(capsys, "info", "--json", "--index", index)
    sources = json.loads(out)["sources"]
    assert {"mini-guide.md", "extra.docx", "resilience.pdf", "housing.md"} <= set(sources)
    assert "corrupt.pdf" not in sources
    data = ask_json(capsys, index, "What is open data?")
    assert data["citations"][0]["source"] == "mini-guide.md"


def test_an_index_from_another_model_asks_for_a_rebuild(capsys, tmp_path, mini_index):
    index = tmp_path / "index"
    shutil.copytree(mini_index.index, index)
    backend = LocalBackend(index)
    generation = Generation(backend, backend.current())
    generation.set_info(IndexInfo("paraphrase-mpnet", 768, "2026-01-01T00:00:00Z", schema=1))
    generation.close()
    code, out, err = run(capsys, "ask", "What is open data?", "--index", index)
    assert code == 1 and out == ""
    assert_one_sentence(err, "paraphrase-mpnet", "re-run `assistant ingest --rebuild`")


def test_a_folder_without_a_model_is_a_usage_error(capsys, tmp_path, writable):
    code, _, err = run(capsys, "ask", PROBE, "--index", writable, "--embedding-model", tmp_path)
    assert code == 2
    assert_one_sentence(err, "No sentence-transformers model found")


def test_a_bad_number_in_the_environment_is_one_sentence(capsys, monkeypatch, writable):
    monkeypatch.setenv("ASSISTANT_TOP_K", "lots")
    code, _, err = run(capsys, "info", "--index", writable)
    assert code == 2
    assert_one_sentence(err, "ASSISTANT_TOP_K", "must be a number")


# --- end to end through real processes -------------------------------------------------------


def _process(*argv, console_script: bool = False) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "assistant")] if console_script else [
        sys.executable, "-m", "assistant"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return subprocess.run([*command, *map(str, argv)], capture_output=True, text=True, cwd=PROJECT,
                          env=env, timeout=300)


@pytest.fixture(scope="module")
def process_index(tmp_path_factory, generated_guides) -> tuple[Path, subprocess.CompletedProcess]:
    """A folder of two good guides and one corrupt PDF, ingested by the `assistant` console script."""
    root = tmp_path_factory.mktemp("process")
    folder = root / "guides"
    folder.mkdir()
    shutil.copy(FIXTURES / "mini-guide.md", folder / "mini-guide.md")
    shutil.copy(generated_guides["pdf"], folder / "resilience.pdf")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not a pdf body")
    result = _process("ingest", folder, "--index", root / "index", console_script=True)
    return root / "index", result


def test_process_ingest_names_the_bad_file_and_keeps_the_good(process_index):
    index, result = process_index
    assert result.returncode == 1
    assert_one_sentence(result.stderr, "broken.pdf", "not a readable PDF")
    assert re.search(r"^2 file\(s\), \d+ sections, \d+ chunks; \d+ new vectors; index updated",
                     result.stdout, re.M)


def test_process_ask_json(process_index):
    index, _ = process_index
    result = _process("ask", EXPECTED["pdf"].question, "--json", "--index", index)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    check_contract(data)
    check_markers(data)
    first = data["citations"][0]
    assert (first["source"], first["path"], first["page"]) == (
        "resilience.pdf", ["Play 4: Cyber resilience"], 4)
    assert len(data["retrieved"]) >= 10  # 7 + 8 sections in the index


def test_console_script_info_and_sections(process_index):
    index, _ = process_index
    result = _process("info", "--json", "--index", index, console_script=True)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["files"] == 2 and data["sources"] == ["mini-guide.md", "resilience.pdf"]
    result = _process("sections", "--index", index, console_script=True)
    assert result.returncode == 0
    assert "  2.1 Open data" in result.stdout.splitlines()


def test_process_usage_errors_exit_2_without_a_traceback(tmp_path, process_index):
    index, _ = process_index
    blank = _process("ask", "   ", "--index", index)
    missing = _process("ask", "What is open data?", "--index", tmp_path / "empty")
    for result in (blank, missing):
        assert result.returncode == 2 and result.stdout == ""
        assert_one_sentence(result.stderr)
    assert "run `assistant ingest` first" in missing.stderr
