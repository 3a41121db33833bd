"""What a language model would be shown: excerpts per question, their size, and whether they hold
the gold section, for the dev questions only (never the holdout set).

Usage: .venv/bin/python bench/llm_context.py [--index INDEX] [--questions tests/eval/dev.jsonl]

Without --index the corpus/ folder is indexed into a temporary folder first. No language model is
called: this measures the context the LLM chain builds, for several evidence bars for the excerpts
after the first (a factor of the refusal threshold; the chain uses `_EXCERPT_EVIDENCE`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.refusal import evidence, index_bar  # noqa: E402
from assistant.embed.model import Embedder  # noqa: E402
from assistant.evaluation.metrics import section_matches  # noqa: E402
from assistant.evaluation.run import load_questions  # noqa: E402
from assistant.ingest.pipeline import ingest  # noqa: E402
from assistant.llm.chain import _EXCERPT_EVIDENCE  # noqa: E402
from assistant.llm.prompting import estimate_tokens, select_excerpts  # noqa: E402
from assistant.retrieve.index import MIN_RANKED, GuideIndex  # noqa: E402
from assistant.settings import Settings  # noqa: E402

FACTORS = sorted({0.0, 0.6, 0.8, 1.0, _EXCERPT_EVIDENCE})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--questions", type=Path, default=ROOT / "tests/eval/dev.jsonl")
    args = parser.parse_args()
    embedder = Embedder()
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings.load(index=args.index or Path(scratch) / "index", chroma_url="")
        if args.index is None:
            ingest([ROOT / "corpus"], settings, embedder)
        index = GuideIndex(settings, embedder)
        questions = load_questions(args.questions)
        refusal = index_bar(index, embedder, settings.refusal_threshold)
        threshold = refusal.threshold
        searched = []
        for q in questions:
            vector = embedder.encode([q.question])[0]
            hits = index.search(q.question, vector, max(settings.top_k, MIN_RANKED))
            searched.append((q, hits, refusal.refuses(hits, vector)))
        print(f"{len(questions)} questions from {args.questions.name}; budget "
              f"{settings.llm_context_tokens} tokens (chars/4); refusal threshold {threshold}")
        asked = [(q, h) for q, h, refused in searched if not refused]
        print(f"reach the model (retrieval not refused): {len(asked)}; of them out of scope: "
              f"{sum(not q.in_scope for q, _ in asked)}")
        print("bar  excerpts(mean/max)  tokens(mean/max)  gold in excerpts (in-scope, answered)")
        for factor in FACTORS:
            counts, tokens, found, scoped = [], [], 0, 0
            for q, hits in asked:
                bar = factor * threshold
                excerpts = select_excerpts(hits, index, settings.llm_context_tokens,
                                           admit=lambda hit, bar=bar: evidence([hit]) >= bar)
                counts.append(len(excerpts))
                tokens.append(sum(estimate_tokens(e.text) for e in excerpts))
                if q.in_scope:
                    scoped += 1
                    found += any(section_matches(e.hit.to_json(), q.gold) for e in excerpts)
            print(f"{factor:.1f}  {statistics.mean(counts):5.2f} / {max(counts)}        "
                  f"{statistics.mean(tokens):6.0f} / {max(tokens):4d}      "
                  f"{found}/{scoped} = {found / max(scoped, 1):.2f}")
        index.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
