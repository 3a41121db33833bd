"""bench/documents.py finds the evaluation documents and their forms, and says so in one line when
there are none (the bench itself is run by hand; its figures are in docs/quality.md)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str):
    """A bench script as a module (imported by name: its dataclasses need a registered module)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def _folder(root, name: str, forms: tuple[str, ...]) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    for form in forms:
        (folder / f"document.{form}").write_bytes(b"# A heading\n\nSome text.\n")
    line = {"id": "q1", "question": "What does it say?", "gold": ["A heading"], "kind": "keyword"}
    (folder / "questions.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")


def test_every_form_is_found_in_the_folder_or_the_forms_cache(tmp_path):
    documents = _load("documents")
    eval_docs, forms = tmp_path / "eval-docs", tmp_path / "forms"
    _folder(eval_docs, "guide-a", ("md", "pdf"))
    _folder(eval_docs, "guide-b", ("md",))
    (forms / "guide-b").mkdir(parents=True)
    (forms / "guide-b" / "document.docx").write_bytes(b"not really Word")
    (eval_docs / "notes").mkdir()  # a folder without questions is not a document
    found = [(d.name, d.form) for d in documents.discover(eval_docs, forms)]
    assert found == [("companion", "md"), ("guide-a", "md"), ("guide-a", "pdf"),
                     ("guide-b", "md"), ("guide-b", "docx")]
    companion = documents.discover(tmp_path / "absent", forms)
    assert [(d.name, len(d.tune) > len(d.report) > 0) for d in companion] == [("companion", True)]


def test_an_absent_folder_is_one_line_and_a_clean_exit(tmp_path, monkeypatch, capsys):
    documents = _load("documents")
    monkeypatch.setattr("sys.argv", ["documents.py", "--eval-docs", str(tmp_path / "absent")])
    assert documents.main() == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "absent" in out
