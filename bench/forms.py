"""The evaluation documents as Word and PDF, and how well each form reads against its Markdown.

`make` writes, for each folder of `../shared/eval-docs/`, the forms it lacks into
`bench/.cache/forms/<folder>/` (git-ignored; the documents' text never enters the repo):

- `document.docx`: Markdown -> HTML (markdown-it-py) -> LibreOffice headless -> Word; a copy of
  the folder's own `document.docx` where it has one.
- `document.pdf`: that Word file -> LibreOffice's PDF export, outline (bookmarks) included; a copy
  of the folder's own `document.pdf` where it has one.
- `document-nooutline.pdf`: the folder's Word file (given or made) -> PDF with bookmarks turned
  off, for every folder, so the type-and-layout fallback is measured on the same layout.

`measure` reads every form and reports, per document and form:
- headings: how many of the Markdown's headings come out as a section with the same heading path
  (text and level, every heading above it included), and how many with the right text at any level;
- Recall@3 and MRR@10 of the whole `Assistant` on the folder's questions, each form indexed alone
  (with `--retrieval`; it embeds every form, a few minutes in all).

Run: .venv/bin/python bench/forms.py [--docs ../shared/eval-docs] [--only FOLDER ...] [--retrieval]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import assistant  # noqa: F401  (offline and no-telemetry environment first)
from assistant.evaluation.metrics import normalise_heading
from assistant.ingest.documents import Section, SourceFile, read_sections
from assistant.ingest.formats import markdown

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_DOCS = PROJECT.parent / "shared" / "eval-docs"
CACHE = PROJECT / "bench" / ".cache" / "forms"
RESULTS = PROJECT / "bench" / "results"
FORMS = ("document.md", "document.docx", "document.pdf", "document-nooutline.pdf")
_STAMP = "source.sha256"  # the Markdown the cached forms were made from
_NO_BOOKMARKS = 'pdf:writer_pdf_Export:{"ExportBookmarks":{"type":"boolean","value":"false"}}'


def eval_folders(docs: Path, only: list[str] | None = None) -> list[Path]:
    """The document folders under `docs` (each has document.md and questions.jsonl)."""
    folders = sorted(p.parent for p in docs.glob("*/document.md") if (p.parent / "questions.jsonl").exists())
    return [f for f in folders if not only or f.name in only]


def form_path(folder: Path, name: str, cache: Path = CACHE) -> Path | None:
    """Where the form `name` of a document lives: the folder's own file first, else the cache."""
    for place in (folder / name, cache / folder.name / name):
        if place.exists():
            return place
    return None


# --- making the forms --------------------------------------------------------------------------


def make_forms(folder: Path, cache: Path = CACHE) -> Path:
    """Write the missing forms of one document into `cache/<folder>/`; return that folder."""
    out = cache / folder.name
    source = (folder / "document.md").read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    stamp = out / _STAMP
    if stamp.exists() and stamp.read_text().strip() == digest and _complete(folder, out):
        return out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="forms-") as tmp:
        work = Path(tmp)
        profile = work / "profile"  # a private LibreOffice profile: other runs may be converting too
        docx = folder / "document.docx"
        if not docx.exists():
            html = work / "document.html"
            html.write_text(_html(source.decode("utf-8")), encoding="utf-8")
            # Import as a Writer text document (not Writer/Web), so headings become Heading N styles.
            _soffice(profile, work, html, "docx:MS Word 2007 XML", infilter="HTML (StarWriter)")
            docx = work / "document.docx"
        shutil.copy(docx, out / "document.docx")  # every form in one place for the other benches
        if (folder / "document.pdf").exists():
            shutil.copy(folder / "document.pdf", out / "document.pdf")
        else:
            _soffice(profile, work / "pdf", docx, "pdf:writer_pdf_Export")
            shutil.copy(work / "pdf" / "document.pdf", out / "document.pdf")
        _soffice(profile, work / "plain", docx, _NO_BOOKMARKS)
        shutil.copy(work / "plain" / "document.pdf", out / "document-nooutline.pdf")
    stamp.write_text(digest + "\n")
    return out


def _complete(folder: Path, out: Path) -> bool:
    return all((out / name).exists() for name in FORMS[1:])


def _html(source: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(source)
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{body}</body></html>\n'


def _soffice(profile: Path, outdir: Path, source: Path, convert_to: str, infilter: str | None = None) -> None:
    command = ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", convert_to, "--outdir", str(outdir), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not (outdir / (source.stem + "." + convert_to.split(":")[0])).exists():
        raise RuntimeError(f"LibreOffice could not convert {source.name}: {done.stderr.strip()[:200]}")


# --- headings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadingRecovery:
    expected: int  # headings in the Markdown
    exact: int  # found as a section with the same heading path
    text: int  # found as a section title at any level
    extra: int  # sections whose title is no Markdown heading

    def to_json(self) -> dict:
        return {"expected": self.expected, "exact": self.exact, "text": self.text, "extra": self.extra}


def heading_paths(sections: list[Section]) -> list[tuple[str, ...]]:
    return [tuple(normalise_heading(h) for h in s.path) for s in sections]


def heading_recovery(reference: list[Section], form: list[Section]) -> tuple[HeadingRecovery, list[str]]:
    """Compare a form's sections with the Markdown's; also return the Markdown headings missed."""
    wanted = heading_paths(reference)
    got = heading_paths(form)
    remaining = list(got)
    exact = 0
    missed: list[str] = []
    for path in wanted:
        if path in remaining:
            remaining.remove(path)  # repeated headings must each be found
            exact += 1
        else:
            missed.append(" > ".join(path))
    titles = [p[-1] for p in got]
    text = sum(1 for p in wanted if p[-1] in titles)
    known = {p[-1] for p in wanted}
    extra = sum(1 for t in titles if t not in known)
    return HeadingRecovery(len(wanted), exact, text, extra), missed


def read_form(path: Path) -> list[Section]:
    # Every form is cited as "document.<ext>", so all share one fallback title.
    return read_sections(SourceFile(path, "document" + path.suffix))


# --- retrieval ---------------------------------------------------------------------------------


def retrieval(path: Path, questions: Path, embedder) -> dict:
    """Recall@3 and MRR@10 of the whole pipeline, with `path` as the only guide in a fresh index."""
    from assistant.answer.pipeline import Assistant
    from assistant.evaluation.run import evaluate
    from assistant.ingest.pipeline import ingest
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory(prefix="forms-index-") as tmp:
        guide = Path(tmp) / ("document" + path.suffix)  # one citation name for every form
        shutil.copy(path, guide)
        settings = Settings.load(index=Path(tmp) / "index", chroma_url="")
        ingest([guide], settings, embedder)
        result = evaluate(questions, settings, assistant=Assistant(settings, embedder))
    overall = result["metrics"]["overall"]
    return {"recall@3": overall["recall@3"], "mrr@10": overall["mrr@10"], "n": overall["n"]}


# --- the command -------------------------------------------------------------------------------


def measure(folders: list[Path], with_retrieval: bool, verbose: bool, names: tuple[str, ...] = FORMS) -> dict:
    embedder = None
    if with_retrieval:
        from assistant.embed.model import Embedder

        embedder = Embedder()
    table: dict[str, dict] = {}
    for folder in folders:
        make_forms(folder)
        reference = markdown_sections(folder)
        row: dict[str, dict] = {}
        for name in names:
            path = form_path(folder, name)
            if path is None:
                continue
            figures: dict = {}
            if name != "document.md":
                recovery, missed = heading_recovery(reference, read_form(path))
                figures["headings"] = recovery.to_json()
                if verbose and missed:
                    print(f"{folder.name}/{name} missed: " + "; ".join(missed), file=sys.stderr)
            if with_retrieval:
                figures.update(retrieval(path, folder / "questions.jsonl", embedder))
            row[name] = figures
            print(f"{folder.name:22} {name:24} {_cells(figures)}", file=sys.stderr)
        table[folder.name] = row
    return table


def markdown_sections(folder: Path) -> list[Section]:
    blocks = markdown.read(folder / "document.md")
    from assistant.ingest.documents import sections_from_blocks

    return sections_from_blocks(blocks, "document.md")


def _cells(figures: dict) -> str:
    parts = []
    if "headings" in figures:
        h = figures["headings"]
        parts.append(f"headings {h['exact']}/{h['expected']} exact, {h['text']} by text, {h['extra']} extra")
    if "recall@3" in figures:
        parts.append(f"R@3 {figures['recall@3']:.3f} MRR {figures['mrr@10']:.3f}")
    return "; ".join(parts)


def format_table(table: dict) -> str:
    lines = [
        "| document | form | headings exact | by text | extra | R@3 | MRR@10 | R@3 - Markdown |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for doc, row in table.items():
        base = row.get("document.md", {}).get("recall@3")
        for name, f in row.items():
            h = f.get("headings")
            cells = [f"{h['exact']}/{h['expected']}", str(h["text"]), str(h["extra"])] if h else ["", "", ""]
            r3 = f.get("recall@3")
            compared = r3 is not None and base is not None and name != "document.md"
            delta = f"{r3 - base:+.3f}" if compared else ""
            score = [f"{r3:.3f}" if r3 is not None else "", f"{f['mrr@10']:.3f}" if "mrr@10" in f else ""]
            lines.append(f"| {doc} | {name} | " + " | ".join(cells + score + [delta]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="the eval-docs folder")
    parser.add_argument("--only", nargs="*", help="document folder names to run (default: all)")
    parser.add_argument("--retrieval", action="store_true", help="also index each form and score retrieval")
    parser.add_argument("--forms", nargs="*", choices=FORMS, help="forms to read (default: all)")
    parser.add_argument("--make-only", action="store_true", help="write the forms and stop")
    parser.add_argument("--verbose", action="store_true", help="name the headings each form misses")
    parser.add_argument("--out", type=Path, help="write the table as JSON and Markdown here (no extension)")
    args = parser.parse_args(argv)
    if not args.docs.is_dir():
        print(f"No evaluation documents at {args.docs}; pass --docs.", file=sys.stderr)
        return 2
    if shutil.which("soffice") is None:
        print("LibreOffice (soffice) is not installed; it makes the Word and PDF forms.", file=sys.stderr)
        return 2
    folders = eval_folders(args.docs, args.only)
    if args.make_only:
        for folder in folders:
            print(make_forms(folder))
        return 0
    table = measure(folders, args.retrieval, args.verbose, tuple(args.forms or FORMS))
    print(format_table(table))
    if args.out:
        args.out.with_suffix(".json").write_text(json.dumps(table, indent=1) + "\n")
        args.out.with_suffix(".md").write_text(format_table(table) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
