"""Key-point recall of the extractive answer against a plain RAG's top chunk, and shape faults.

Run: .venv/bin/python bench/answers.py [--index DIR] [--eval-docs ../shared/eval-docs]
Builds the companion index in a temporary folder unless --index names one. With --eval-docs, also
counts shape faults over every in-scope question of each shared evaluation document (its own index,
built in a temporary folder and cached under bench/results/.cache-answers unless given).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import assistant  # noqa: F401  (offline and no-telemetry environment first)
from assistant.answer.pipeline import Assistant
from assistant.embed.model import Embedder
from assistant.evaluation.answers import faults_of, load, score
from assistant.ingest.pipeline import ingest
from assistant.settings import Settings

PROJECT = Path(__file__).resolve().parent.parent


def _index(paths: list[Path], folder: Path, embedder: Embedder) -> Settings:
    settings = Settings.load(index=folder, chroma_url="")
    if not (folder / "CURRENT").exists() and not any(folder.glob("*")):
        ingest(paths, settings, embedder)
    return settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="an index of corpus/ already built")
    parser.add_argument("--eval-docs", type=Path, help="the shared evaluation documents' folder")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "answers-bench")
    parser.add_argument("--show", action="store_true", help="print every answer with its faults")
    args = parser.parse_args()
    embedder = Embedder()
    settings = (Settings.load(index=args.index, chroma_url="") if args.index
                else _index([PROJECT / "corpus"], args.cache / "companion", embedder))
    runner = Assistant(settings, embedder)
    scored = score(runner, load(PROJECT / "tests" / "eval" / "answers.jsonl"))
    n = len(scored)
    report = {
        "questions": n,
        "key_point_recall": round(sum(s.recall for s in scored) / n, 3),
        "top_chunk_recall": round(sum(s.top_chunk_recall for s in scored) / n, 3),
        "shape_faults": sum(len(s.faults) for s in scored),
    }
    if args.show:
        for s in scored:
            print(f"{s.question.id} {s.recall:.2f}/{s.top_chunk_recall:.2f} {s.question.question}")
            print(f"  {s.answer}")
            for f in s.faults:
                print(f"  FAULT {f}")
    if args.eval_docs:
        report["eval_docs"] = {}
        for folder in sorted(p for p in args.eval_docs.iterdir() if (p / "questions.jsonl").exists()):
            doc_settings = _index([folder / "document.md"], args.cache / folder.name, embedder)
            doc_runner = Assistant(doc_settings, embedder)
            rows = [json.loads(x) for x in (folder / "questions.jsonl").read_text().splitlines() if x]
            faults = []
            for row in rows:
                if not row["gold"]:
                    continue
                answer = doc_runner.ask(row["question"])
                found = faults_of(answer)
                faults += found
                if args.show:
                    for f in found:
                        print(f"  {row['id']} FAULT {f}")
            report["eval_docs"][folder.name] = {"questions": sum(1 for r in rows if r["gold"]),
                                                "shape_faults": len(faults)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
