"""Every benchmark in one run: baselines beside the assistant on dev and holdout, then speed and scale.

Writes bench/results/latest.json (all figures) and bench/results/latest.md (the tables docs/benchmarks.md
shows). Builds its own index of corpus/ in a temporary folder, so it never touches ./index.

Run: .venv/bin/python bench/run_all.py [--scales 1,10,100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baselines  # noqa: E402
import speed  # noqa: E402

import assistant  # noqa: E402,F401
from assistant.embed.model import Embedder  # noqa: E402
from assistant.embed.question_encoder import export  # noqa: E402
from assistant.ingest.pipeline import ingest  # noqa: E402
from assistant.settings import PROJECT_ROOT, Settings  # noqa: E402

RESULTS = PROJECT_ROOT / "bench" / "results"
SPLITS = [PROJECT_ROOT / "tests" / "eval" / "dev.jsonl", PROJECT_ROOT / "tests" / "eval" / "holdout.jsonl"]


def machine() -> dict:
    import psutil

    return {
        "cpus": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def quality_table(results: dict) -> str:
    heads = ["system", "split", "R@1", "R@3", "R@5", "MRR@10", "paraphrase R@3",
             "out-of-scope refused", "in-scope wrongly refused", "p50 ms", "R@3 ÷ (a)", "p50 ÷ (a)"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for split in ("dev", "holdout"):
        for row in results.get(split, []):
            scores = ("recall@1", "recall@3", "recall@5", "mrr@10", "paraphrase_recall@3")
            cells = [row["system"], split, *(_f(row[k]) for k in scores),
                     _pct(row["out_of_scope_refused"]), _pct(row["in_scope_wrongly_refused"]),
                     _f(row["p50_ms"], 1), _f(row["recall@3_vs_a"], 2), _f(row["p50_vs_a"], 2)]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def certainty_table(results: dict) -> str:
    """How far the figures could move on other questions like these (95% bootstrap intervals)."""
    heads = ["split", "our R@3", "our MRR@10", "ours − (a), R@3", "ours − (a), MRR@10",
             "ours − (a), paraphrase R@3"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for split in ("dev", "holdout"):
        rows = results.get(split, [])
        ours = next((r for r in rows if r["system"] == "assistant (ours)"), None)
        if ours is None:
            continue
        ci = ours["interval_95"]
        cells = [split, _span(ours["recall@3"], ci["recall@3"]), _span(ours["mrr@10"], ci["mrr@10"]),
                 _span(ours["recall@3"] - rows[0]["recall@3"], ci["recall@3_minus_a"]),
                 _span(ours["mrr@10"] - rows[0]["mrr@10"], ci["mrr@10_minus_a"]),
                 _span((ours["paraphrase_recall@3"] or 0) - (rows[0]["paraphrase_recall@3"] or 0),
                       ci["paraphrase_recall@3_minus_a"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _span(value: float, interval: list[float]) -> str:
    return f"{value:.3f} ({interval[0]:.3f} to {interval[1]:.3f})"


def versus_a_table(v: dict) -> str:
    """Our whole warm answer beside (a)'s retrieval with our encoder, timed alternately."""
    stages = ", ".join(f"{k} {ms}" for k, ms in v["ours_stage_p50_ms"].items())
    first = v["first_round"]
    return "\n".join([
        "| timed alternately, same process | p50 ms | p95 ms |",
        "|---|---|---|",
        f"| (a)'s retrieval with our question encoder | {v['a_retrieval_p50_ms']} | "
        f"{v['a_retrieval_p95_ms']} |",
        f"| our whole warm answer (`ask`) | {v['ours_p50_ms']} | {v['ours_p95_ms']} |",
        f"| ours ÷ (a) (issue 5: at most 1.5) | {v['ratio_p50']} | |",
        "",
        f"{v['questions']} questions × {v['rounds']} rounds, load average at the end "
        f"{', '.join(map(str, v['load_average']))}. Our stages (p50 ms): {stages}. First round alone "
        f"(sections quoted for the first time): (a) {first['a_retrieval_p50_ms']} ms, ours "
        f"{first['ours_p50_ms']} ms, ratio {first['ratio_p50']}.",
    ])


def speed_table(s: dict) -> str:
    warm, cold = s["warm"], s["cold_start"]
    rows = [
        ("Ingest corpus/ (new process, empty index)",
         f"{s['ingest_corpus']['chunks']} chunks in {s['ingest_corpus']['wall_s']} s = "
         f"{s['ingest_corpus']['chunks_per_s']} chunks/s"),
        ("Ingest a generated 200-page PDF",
         f"{s['ingest_pdf']['wall_s']} s = {s['ingest_pdf']['pages_per_s']} pages/s "
         f"({s['ingest_pdf']['chunks_per_s']} chunks/s)"),
        ("Warm answer latency (whole `ask`, in process)", f"p50 {warm['p50']} ms, p95 {warm['p95']} ms "
         f"over {warm['n']} questions; encoder {warm['encoder']}"),
        ("Warm latency by stage (p50 ms)", ", ".join(f"{k} {v}" for k, v in warm["stage_p50_ms"].items())),
        ("Cold start: `python -m assistant ask` to printed answer",
         f"median {cold['wall_s_median']} s wall, {cold['cpu_s_median']} s CPU over {cold['runs']} runs "
         f"({', '.join(map(str, cold['wall_s_all']))})"),
        ("Peak RSS", f"answering process {cold['peak_rss_mib']} MiB; ingest of corpus/ "
         f"{s['ingest_corpus']['peak_rss_mib']} MiB; "
         f"ingest of the PDF {s['ingest_pdf']['peak_rss_mib']} MiB"),
    ]
    for scale, figures in s["scale"].items():
        rows.append((f"Warm latency at {scale} the guide ({figures['chunks']} chunks)",
                     f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms"))
    lines = ["| measure | result |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def _f(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark and write bench/results/latest.*")
    parser.add_argument("--scales", default="1,10,100", help="corpus multiples for the scale test")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--only", choices=["quality", "speed"],
                        help="rerun one part, keeping the other from the last latest.json")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",") if s]
    results: dict = {"machine": machine()}
    if args.only != "speed":
        embedder = Embedder()
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings.load(index=Path(tmp) / "index", corpus=PROJECT_ROOT / "corpus",
                                     chroma_url="")
            ingest([settings.corpus], settings, embedder)
            export(settings, embedder)  # as `assistant ingest` does, so questions are encoded as in `ask`
            results["quality"] = baselines.compare(SPLITS, settings, embedder)
            print(quality_table(results["quality"]), file=sys.stderr)
    if args.only != "quality":
        results["speed"] = speed.measure(PROJECT_ROOT / "corpus", SPLITS, scales, args.cold_runs)
    if args.only and (RESULTS / "latest.json").exists():
        # Read at the end, so a quality run and a speed run started side by side both land.
        previous = json.loads((RESULTS / "latest.json").read_text(encoding="utf-8"))
        other = "speed" if args.only == "quality" else "quality"
        if other in previous:
            results[other] = previous[other]
            results[f"machine_{other}"] = previous.get(f"machine_{other}", previous.get("machine"))
    print(write(results))
    return 0


def write(results: dict) -> str:
    """latest.json and latest.md from the figures; returns the Markdown."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    m = results["machine"]
    markdown = (
        f"Measured {m['when']} on {m['cpus']} cores, {m['ram_gib']} GiB RAM, Python {m['python']} "
        f"(load average at the start: {', '.join(map(str, m['load_average']))}; other jobs shared the "
        "machine).\n\n"
        + (quality_table(results["quality"]) if "quality" in results else "(quality not run)") + "\n\n"
        + ("How sure: each figure with its 95% bootstrap interval over questions (2,000 resamples; "
           "a lead over (a) is paired, question by question).\n\n"
           + certainty_table(results["quality"]) + "\n\n" if "quality" in results else "")
        + (versus_a_table(results["quality"]["latency_vs_a"]) + "\n\n"
           if "latency_vs_a" in results.get("quality", {}) else "")
        + (speed_table(results["speed"]) if "speed" in results else "(speed not run)") + "\n"
    )
    (RESULTS / "latest.md").write_text(markdown, encoding="utf-8")
    return markdown


if __name__ == "__main__":
    sys.exit(main())
