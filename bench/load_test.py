"""Load test of the council deployment: app instances sharing one Chroma server, many users asking.

Each app instance is a process with its own loaded model and `Assistant`, as each Streamlit instance
behind the reverse proxy would be; all of them read the same Chroma server. Simulated users are
threads inside the instances, asking the dev questions back to back (no think time, so the figures
are a worst case: a real councillor reads an answer for a minute before the next question). For
each number of concurrent users the run lasts a bounded time and reports throughput and latency.

Run (starts its own Chroma server on loopback and ingests corpus/ into it unless --url is given):
    .venv/bin/python bench/load_test.py --instances 2 --users 1,5,10,20 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import assistant  # noqa: F401  (offline and no-telemetry environment first)
from assistant.evaluation.metrics import percentile
from assistant.settings import Settings
from assistant.store.chroma_process import ChromaServer

PROJECT = Path(__file__).resolve().parent.parent
QUESTIONS = PROJECT / "tests" / "eval" / "dev.jsonl"


def _questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]


def instance(url: str, users: int, seconds: float, ready, go, results) -> None:
    """One app instance: load the model once, then run `users` user threads for `seconds`."""
    from assistant.answer.pipeline import Assistant

    helper = Assistant(Settings.load(chroma_url=url))
    questions = _questions()
    helper.ask(questions[0])  # warm up, as a running app would be
    ready.put(os.getpid())
    go.wait()
    stop_at = time.monotonic() + seconds
    latencies: list[float] = []
    stages: list[dict[str, float]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def user(number: int) -> None:
        n = number
        while time.monotonic() < stop_at:
            question = questions[n % len(questions)]
            n += users
            started = time.perf_counter()
            try:
                answer = helper.ask(question)
            except Exception as exc:  # counted and reported, never hidden
                with lock:
                    errors.append(f"{exc.__class__.__name__}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)
                stages.append(answer.timings_ms)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put({"latencies": latencies, "stages": stages, "errors": errors})


def run_level(url: str, instances: int, users: int, seconds: float) -> dict:
    """All instances start together; users are spread over them as evenly as possible."""
    context = mp.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    shares = [users // instances + (1 if i < users % instances else 0) for i in range(instances)]
    shares = [s for s in shares if s]
    processes = [context.Process(target=instance, args=(url, s, seconds, ready, go, results))
                 for s in shares]
    for p in processes:
        p.start()
    for _ in processes:
        ready.get(timeout=600)
    started = time.monotonic()
    go.set()
    outcomes = [results.get(timeout=seconds + 600) for _ in processes]
    elapsed = time.monotonic() - started
    for p in processes:
        p.join()
    latencies = sorted(x for o in outcomes for x in o["latencies"])
    latencies_ms = [x * 1000 for x in latencies]
    errors = [e for o in outcomes for e in o["errors"]]
    stages = [t for o in outcomes for t in o["stages"]]
    names = sorted({name for t in stages for name in t if name != "total"})
    return {
        "users": users,
        "instances": len(shares),
        "answers": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "answers_per_second": round(len(latencies) / elapsed, 2),
        "p50_ms": round(percentile(latencies_ms, 50)),
        "p95_ms": round(percentile(latencies_ms, 95)),
        "max_ms": round(latencies[-1] * 1000) if latencies else None,
        # Where the time goes, per answer (median of each stage): embed vs Chroma retrieval.
        "stage_p50_ms": {n: round(statistics.median(t.get(n, 0.0) for t in stages), 1) for n in names},
    }


def machine() -> dict:
    import psutil

    return {"cpus": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / 2**30),
            "platform": platform.platform(), "python": platform.python_version(),
            "load_average_1m_at_start": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an existing Chroma server holding an index (default: start one)")
    parser.add_argument("--instances", type=int, default=2, help="app instances (processes)")
    parser.add_argument("--users", default="1,5,10,20", help="comma-separated concurrent user counts")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each level")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    levels = [int(u) for u in args.users.split(",")]
    if args.instances < 1 or min(levels) < 1 or not 0 < args.seconds <= 600 or max(levels) > 200:
        parser.error("use 1+ instances, 1 to 200 users and at most 600 seconds per level")
    report = {"machine": machine(), "levels": []}
    with tempfile.TemporaryDirectory() as work:
        server = None
        url = args.url
        if not url:
            server = ChromaServer(Path(work) / "chroma").start()
            url = server.url
            _ingest_corpus(url)
        try:
            for users in levels:
                level = run_level(url, args.instances, users, args.seconds)
                report["levels"].append(level)
                print(f"{users:>4} users on {level['instances']} instance(s): "
                      f"{level['answers_per_second']} answers/s, p50 {level['p50_ms']} ms, "
                      f"p95 {level['p95_ms']} ms, errors {level['errors']}; "
                      f"stage medians {level['stage_p50_ms']}", file=sys.stderr)
        finally:
            if server:
                server.stop()
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


def _ingest_corpus(url: str) -> None:
    from assistant.embed.model import Embedder
    from assistant.ingest.pipeline import ingest

    settings = Settings.load(chroma_url=url)
    report = ingest([settings.corpus], settings, Embedder(settings.model))
    print(f"Ingested into {url}: {report.summary()}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
