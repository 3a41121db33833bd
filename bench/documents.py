"""Every evaluation document in one table: ours beside (a) the LangChain tutorial RAG, (b) BM25 alone
and (c) dense alone, each document's figures from values chosen WITHOUT it (leave-one-document-out).

Documents: each folder of `--eval-docs` (default ../shared/eval-docs beside the repository: real
guidance nobody on this team wrote, see its README) in its Markdown form, its Word and PDF forms
where the folder or the `--forms` cache (made by bench/forms.py) holds them, and the companion in
corpus/ with its dev and holdout splits. The companion is tuned on dev only and reported on holdout.

A retrieved section counts for a gold heading when that heading is its own title or one above it in
its heading path (assistant.evaluation.metrics.section_matches), as the eval-docs README asks.

Each form is ingested once into bench/cache/ (git-ignored), keyed by its bytes and the ingest code,
and each question's three rankings are computed once; choosing values only re-fuses them, so a
whole run is a few minutes the first time and well under one after.

Writes bench/results/documents.json and bench/results/documents.md.
Run: .venv/bin/python bench/documents.py [--eval-docs DIR] [--forms DIR] [--no-tutorial]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import assistant  # noqa: E402,F401  (offline and no-telemetry environment first)
from assistant.answer.refusal import RefusalRule, closer_to_bank, evidence, threshold_from  # noqa: E402
from assistant.answer.unmentioned import unmentioned  # noqa: E402
from assistant.embed.model import Embedder  # noqa: E402
from assistant.evaluation.metrics import (  # noqa: E402
    bootstrap_interval,
    gold_ranks,
    question_scores,
)
from assistant.evaluation.run import EvalQuestion, load_questions  # noqa: E402
from assistant.ingest.pipeline import ingest  # noqa: E402
from assistant.retrieve.index import GuideIndex, Rankings, section_json  # noqa: E402
from assistant.retrieve.section_roles import Role  # noqa: E402
from assistant.settings import PROJECT_ROOT, Settings  # noqa: E402

RESULTS = PROJECT_ROOT / "bench" / "results"
CACHE = PROJECT_ROOT / "bench" / "cache"
DEFAULT_EVAL_DOCS = PROJECT_ROOT.parent / "shared" / "eval-docs"
COMPANION = "companion"
FORMS = ("md", "docx", "pdf")
TOP = 10


@dataclass(frozen=True)
class Tuning:
    """Every tunable value of retrieval and refusal, as one point calibrate.py can choose."""

    weights: dict[str, float]
    demotion: dict[Role, float]
    refusal: RefusalRule

    def to_json(self) -> dict:
        return {"weights": self.weights, "demotion": {r.value: v for r, v in self.demotion.items()},
                "refusal": self.refusal.to_json()}


@dataclass
class Document:
    """One form of one document, with its questions: `tune` to choose values on, `report` to score."""

    name: str
    form: str
    path: Path  # a file, or the companion's corpus folder
    tune: list[EvalQuestion]
    report: list[EvalQuestion]

    @property
    def label(self) -> str:
        return self.name if self.form == "md" else f"{self.name} ({self.form})"


@dataclass
class Prepared:
    """A document's index and every question's rankings, computed once."""

    doc: Document
    index: GuideIndex
    rankings: dict[str, Rankings]  # by question text
    bank: list[tuple[str, Rankings]]  # the off-topic bank's questions, for the index's own threshold
    nearest_bank: dict[str, float]  # by question text: cosine to the nearest bank question
    tutorial: dict[str, list[dict]] = field(default_factory=dict)  # (a)'s sections by question text


def discover(eval_docs: Path, forms: Path) -> list[Document]:
    """The companion, then each eval document's forms; an absent eval folder gives the companion only."""
    dev = load_questions(PROJECT_ROOT / "tests" / "eval" / "dev.jsonl")
    holdout = load_questions(PROJECT_ROOT / "tests" / "eval" / "holdout.jsonl")
    documents = [Document(COMPANION, "md", PROJECT_ROOT / "corpus", dev, holdout)]
    if not eval_docs.is_dir():
        return documents
    for folder in sorted(p for p in eval_docs.iterdir() if (p / "questions.jsonl").exists()):
        questions = load_questions(folder / "questions.jsonl")
        for form in FORMS:
            for candidate in (folder / f"document.{form}", forms / folder.name / f"document.{form}"):
                if candidate.exists():
                    documents.append(Document(folder.name, form, candidate, questions, questions))
                    break
    return documents


def _ingest_key(doc: Document, embedder: Embedder) -> str:
    """The document's bytes, the code that reads it and the model: any change means a new ingest."""
    digest = hashlib.sha256(embedder.name.encode())
    files = sorted(doc.path.rglob("*")) if doc.path.is_dir() else [doc.path]
    code = sorted((PROJECT_ROOT / "assistant" / "ingest").rglob("*.py"))
    for file in [*files, *code]:
        if file.is_file():
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def indexed(doc: Document, embedder: Embedder, cache: Path = CACHE) -> Settings:
    """Settings for the document's index, ingesting it into the cache first if need be."""
    folder = cache / "indexes" / f"{doc.name}-{doc.form}-{_ingest_key(doc, embedder)}"
    settings = Settings.load(index=folder, corpus=doc.path, chroma_url="")
    if not (folder / "done").exists():
        report = ingest([doc.path], settings, embedder)
        if not report.published:
            raise SystemExit(f"{doc.label}: nothing could be indexed ({'; '.join(report.problems)}).")
        (folder / "done").write_text(report.summary(), encoding="utf-8")
    return settings


def prepare(doc: Document, embedder: Embedder, bank: list[str], cache: Path = CACHE) -> Prepared:
    index = GuideIndex(indexed(doc, embedder, cache), embedder)
    texts = sorted({q.question for q in [*doc.tune, *doc.report]})
    vectors = embedder.encode(texts)
    rankings = {t: index.rankings(t, v) for t, v in zip(texts, vectors)}
    bank_vectors = embedder.encode(bank)
    bank_rankings = [(t, index.rankings(t, v)) for t, v in zip(bank, bank_vectors)]
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    nearest = np.max(unit(np.asarray(vectors)) @ unit(np.asarray(bank_vectors)).T, axis=1)
    return Prepared(doc, index, rankings, bank_rankings, dict(zip(texts, map(float, nearest))))


def tutorial_sections(prepared: Prepared, embedder: Embedder, cache: Path = CACHE) -> None:
    """(a)'s ranked sections for every question, cached by the document and questions (Markdown only:
    the tutorial reads a file's raw text, which for Word or PDF is not text)."""
    import baselines

    doc = prepared.doc
    texts = sorted(prepared.rankings)
    key = hashlib.sha256((_ingest_key(doc, embedder) + "\n".join(texts)).encode()).hexdigest()[:16]
    stored = cache / "tutorial" / f"{doc.name}-{key}.json"
    if stored.exists():
        prepared.tutorial = json.loads(stored.read_text(encoding="utf-8"))
        return
    with tempfile.TemporaryDirectory() as workdir:
        rag = baselines.TutorialRag(doc.path, embedder, Path(workdir))
        prepared.tutorial = {t: rag.rank(t) for t in texts}
        rag.store.delete_collection()
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text(json.dumps(prepared.tutorial), encoding="utf-8")


def _grouped(index: GuideIndex, hits: list[tuple[str, float]]) -> list[dict]:
    seen: list[str] = []
    for cid, _ in hits:
        sid = index.chunk_section[cid]
        if sid not in seen:
            seen.append(sid)
    return [section_json(index.sections[sid]) for sid in seen[:TOP]]


def ranked(prepared: Prepared, system: str, question: str, tuning: Tuning | None = None) -> list[dict]:
    """A system's top sections for one question, as section dicts."""
    chunks, _, lexical = rankings = prepared.rankings[question]
    if system == "ours":
        hits = prepared.index.fuse(question, rankings, TOP, tuning.weights, tuning.demotion)
        return [h.to_json() for h in hits[:TOP]]
    if system == "bm25":
        return _grouped(prepared.index, lexical)
    if system == "dense":
        return _grouped(prepared.index, chunks)
    return prepared.tutorial.get(question, [])


def bank_threshold(prepared: Prepared, tuning: Tuning) -> float:
    """The refusal threshold this index would fit for itself (assistant.answer.refusal)."""
    scores = [evidence(prepared.index.fuse(q, r, TOP, tuning.weights, tuning.demotion),
                       tuning.refusal.coverage_weight)
              for q, r in prepared.bank]
    return threshold_from(scores, tuning.refusal)


@dataclass
class Outcome:
    """One system's answers to a document's questions."""

    questions: list[EvalQuestion]
    ranks: list[list[int | None]]
    refused: list[bool]
    flagged: list[bool]  # answered, but opening with "the guide never mentions ..."


def outcome(prepared: Prepared, system: str, questions: list[EvalQuestion],
            tuning: Tuning | None = None) -> Outcome:
    ranks, refused, flagged = [], [], []
    limit = bank_threshold(prepared, tuning) if system == "ours" else None
    for q in questions:
        sections = ranked(prepared, system, q.question, tuning)
        ranks.append(gold_ranks(sections, q.gold))
        if limit is None:
            refused.append(False)
            flagged.append(False)
            continue
        hits = prepared.index.fuse(q.question, prepared.rankings[q.question], TOP, tuning.weights,
                                   tuning.demotion)
        no = (not hits or evidence(hits, tuning.refusal.coverage_weight) < limit
              or closer_to_bank(hits, prepared.nearest_bank[q.question], tuning.refusal))
        refused.append(no)
        flagged.append(not no and bool(unmentioned(q.question, prepared.index.mentions)))
    return Outcome(questions, ranks, refused, flagged)


def figures(result: Outcome) -> dict:
    """Recall@1/3/5, MRR@10 and the by-kind and refusal shares, with each per-question list kept."""
    inside = [i for i, q in enumerate(result.questions) if q.in_scope]
    outside = [i for i, q in enumerate(result.questions) if not q.in_scope]
    per = question_scores([result.ranks[i] for i in inside])
    row: dict = {"n": len(inside), "out_of_scope_n": len(outside)}
    for name, values in per.items():
        row[name] = _mean(values)
        row[f"{name}_ci"] = bootstrap_interval(values)
    for kind in ("paraphrase", "keyword", "multi", "deep"):
        chosen = [result.ranks[i] for i in inside if result.questions[i].kind == kind]
        row[f"{kind}_recall@3"] = _mean(question_scores(chosen)["recall@3"]) if chosen else None
    row["answerable_refused"] = _mean([result.refused[i] for i in inside])
    row["out_of_scope_refused"] = _mean([result.refused[i] for i in outside]) if outside else None
    row["out_of_scope_refused_or_flagged"] = (
        _mean([result.refused[i] or result.flagged[i] for i in outside]) if outside else None)
    row["_per_question"] = per
    return row


def _mean(values) -> float:
    values = list(values)
    return round(float(np.mean(values)), 4) if values else 0.0


def score(prepared: Prepared, tuning: Tuning, questions: list[EvalQuestion] | None = None) -> dict:
    return figures(outcome(prepared, "ours", questions or prepared.doc.report, tuning))


SYSTEMS = {"tutorial": "(a) LangChain tutorial RAG", "bm25": "(b) BM25 alone", "dense": "(c) dense alone",
           "ours": "ours (held out)"}


def table(rows: list[dict]) -> str:
    heads = ["document", "system", "R@1", "R@3 (95% CI)", "R@5", "MRR@10 (95% CI)", "paraphrase R@3",
             "deep R@3", "keyword R@3", "answerable refused", "out-of-scope refused (or flagged)"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for row in rows:
        r3 = _f(row["recall@3"]) + (f" ({_f(row['recall@3_ci'][0])}-{_f(row['recall@3_ci'][1])})"
                                    if row.get("recall@3_ci") else "")
        mrr = _f(row["mrr@10"]) + (f" ({_f(row['mrr@10_ci'][0])}-{_f(row['mrr@10_ci'][1])})"
                                   if row.get("mrr@10_ci") else "")
        refusal = "–" if row["system"] != SYSTEMS["ours"] or row.get("out_of_scope_refused") is None else (
            f"{row['out_of_scope_refused']:.0%} ({row['out_of_scope_refused_or_flagged']:.0%})")
        refused = _pct(row["answerable_refused"]) if row["system"] == SYSTEMS["ours"] else "–"
        cells = [row["document"], row["system"], _f(row["recall@1"]), r3, _f(row["recall@5"]), mrr,
                 _f(row["paraphrase_recall@3"]), _f(row["deep_recall@3"]), _f(row["keyword_recall@3"]),
                 refused, refusal]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _f(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def mean_row(rows: list[dict], system: str) -> dict:
    """The unweighted mean over documents (each document counts once, whatever its size)."""
    chosen = [r for r in rows if r["system"] == system]
    keys = ["recall@1", "recall@3", "recall@5", "mrr@10", "paraphrase_recall@3", "deep_recall@3",
            "keyword_recall@3", "answerable_refused", "out_of_scope_refused",
            "out_of_scope_refused_or_flagged"]
    mean = {"document": "**mean**", "system": system}
    for key in keys:
        values = [r[key] for r in chosen if r.get(key) is not None]
        mean[key] = _mean(values) if values else None
    return mean


def fold_table(results: dict) -> str:
    """The values each fold chose, and the shipped ones (fitted on every document)."""
    lines = ["| chosen without | weights (chunks, sections, BM25) | role factors < 1 | refusal rule |",
             "|---|---|---|---|"]
    for name, tuning in [*((n, f["tuning"]) for n, f in results["folds"].items()),
                         ("nothing (shipped)", results["shipped"])]:
        w = tuning["weights"]
        priors = ", ".join(f"{r} {v}" for r, v in tuning["demotion"].items() if v < 1) or "none"
        rule = ", ".join(f"{k} {v}" for k, v in tuning["refusal"].items())
        weights = f"{w['dense_chunks']}, {w['dense_sections']}, {w['bm25']}"
        lines.append(f"| {name} | {weights} | {priors} | {rule} |")
    return "\n".join(lines)


def main() -> int:
    import calibrate

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-docs", type=Path, default=DEFAULT_EVAL_DOCS)
    parser.add_argument("--forms", type=Path, default=PROJECT_ROOT / "bench" / ".cache" / "forms",
                        help="extra Word/PDF forms, <forms>/<folder>/document.{docx,pdf} (bench/forms.py)")
    parser.add_argument("--no-tutorial", action="store_true", help="skip (a), the slowest baseline")
    args = parser.parse_args()
    if not args.eval_docs.is_dir():
        print(f"No evaluation documents at {args.eval_docs}; nothing to run (pass --eval-docs DIR).")
        return 0
    started = time.time()
    embedder = Embedder()
    bank = calibrate.bank_questions()
    documents = discover(args.eval_docs, args.forms)
    prepared = {}
    for doc in documents:
        print(f"preparing {doc.label} ...", file=sys.stderr)
        prepared[doc.label] = prepare(doc, embedder, bank)
        if doc.form == "md" and not args.no_tutorial:
            tutorial_sections(prepared[doc.label], embedder)
    folds = calibrate.leave_one_out([p for p in prepared.values() if p.doc.form == "md"])
    rows: list[dict] = []
    for label, p in prepared.items():
        tuning = folds[p.doc.name]["tuning"]
        systems = ["tutorial", "bm25", "dense", "ours"] if p.doc.form == "md" else ["ours"]
        if args.no_tutorial:
            systems = [s for s in systems if s != "tutorial"]
        for system in systems:
            row = figures(outcome(p, system, p.doc.report, tuning if system == "ours" else None))
            row.update(document=label if p.doc.name != COMPANION else "companion (holdout)",
                       system=SYSTEMS[system], form=p.doc.form)
            rows.append(row)
    md_rows = [r for r in rows if r["form"] == "md"]
    means = [mean_row(md_rows, SYSTEMS[s]) for s in ("tutorial", "bm25", "dense", "ours")
             if any(r["system"] == SYSTEMS[s] for r in md_rows)]
    for row in rows:
        row.pop("_per_question", None)
    shipped = calibrate.choose(list(p for p in prepared.values() if p.doc.form == "md"))
    results = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seconds": round(time.time() - started, 1),
        "folds": {name: {"tuning": f["tuning"].to_json()} for name, f in folds.items()},
        "shipped": shipped.to_json(),
        "rows": rows,
        "means": means,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "documents.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    markdown = (f"Measured {results['when']}; each document's 'ours' row uses values chosen without it "
                "(bench/calibrate.py, leave-one-document-out).\n\n" + table(rows + means) + "\n\n"
                + fold_table(results) + "\n")
    (RESULTS / "documents.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
