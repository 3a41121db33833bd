"""Speed and scale: ingest throughput, warm and cold answers, peak memory, and larger corpora.

- Ingest: `assistant ingest` of corpus/ and of a generated 200-page PDF, each in a new process into
  an empty index (chunks/s, pages/s; sentences are embedded too, for extractive answers).
- Warm latency: the whole `Assistant.ask` in process, after one warm-up question, over the questions
  of the given files, each asked once (the question encoder `ask` uses: ONNX when exported, see
  question_encoder); the per-stage figures come from the same calls.
- Cold start: `python -m assistant ask ...` in a new process until it prints, several runs; its
  peak RSS (the most memory the answering process held) comes from the same runs.
- Scale: the guide copied N times (x1, x10), each copy's headings numbered and its paragraphs
  shuffled with a fixed seed so every chunk's text, and so its vector, differs, then ingested;
  warm latency then. Embedding x100 that way takes hours on 2 cores, so x100 is the x10 index's
  records written 10 times over, each copy's vectors jittered (Gaussian noise, sd 0.02, then
  renormalised) and its ids and headings numbered: it measures search cost at that size, not quality.

Run: .venv/bin/python bench/speed.py [--scales 1,10,100] [--only ingest] [questions.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import assistant  # noqa: F401  (offline and no-telemetry environment first)
from assistant.evaluation.metrics import latency_scores, percentile
from assistant.evaluation.run import load_questions
from assistant.settings import PROJECT_ROOT, Settings

PYTHON = sys.executable
_HEADING = re.compile(r"^(#+)\s+(.*)$")


# Linux carries a process's peak RSS across exec, and a child started from this (large) process
# starts with this process's peak as its own. So each command is started by a small Python process
# that reports its child's figures: the child's peak is then its own.
_LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    json.dump({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_kib": usage.ru_maxrss}, out)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _measure(args: list[str]) -> dict:
    """Run a command in a new process; wall time, CPU time and peak RSS from the kernel's accounting."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "usage.json"
        done = subprocess.run([PYTHON, "-c", _LAUNCHER, str(report), *map(str, args)],
                              capture_output=True, cwd=PROJECT_ROOT)
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace")
            raise SystemExit(f"{' '.join(map(str, args))} failed: {err[-500:]}")
        usage = json.loads(report.read_text())
    return {"wall_s": round(usage["wall_s"], 2), "cpu_s": round(usage["cpu_s"], 2),
            "peak_rss_mib": round(usage["peak_kib"] / 1024), "stdout": done.stdout.decode()}


def _ingest(paths: list[Path], index: Path) -> dict:
    result = _measure([PYTHON, "-m", "assistant", "ingest", *map(str, paths), "--index", str(index)])
    found = re.search(r"(\d+) sections, (\d+) chunks", result["stdout"])
    result["sections"], result["chunks"] = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    del result["stdout"]
    return result


def write_pdf(path: Path, source: Path, pages: int = 200) -> Path:
    """A PDF of `pages` pages from the guide's own headings and paragraphs, repeated as needed."""
    from fpdf import FPDF

    blocks = _markdown_blocks(source.read_text(encoding="utf-8"))
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    round_ = 0
    while pdf.page_no() < pages:
        round_ += 1
        for level, text in blocks:
            if pdf.page_no() >= pages:
                break
            if level:
                if level <= 2:
                    pdf.add_page()
                pdf.set_font("Helvetica", "B", {1: 20, 2: 16}.get(level, 12))
                pdf.multi_cell(0, 8, _latin1(f"{text} ({round_})" if level > 1 else text),
                               new_x="LMARGIN", new_y="NEXT")
            else:
                pdf.set_font("Helvetica", "", 11)
                pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))
    return path


def _latin1(text: str) -> str:
    """fpdf2's core fonts are Latin-1; typographic quotes and dashes become plain ones."""
    plain = text.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                                          "…": "...", "•": "-"}))
    return plain.encode("latin-1", errors="replace").decode("latin-1")


def _markdown_blocks(text: str) -> list[tuple[int, str]]:
    """(heading level or 0, text) for each heading and paragraph of a Markdown file."""
    blocks: list[tuple[int, str]] = []
    for part in re.split(r"\n\s*\n", text):
        part = part.strip()
        if not part:
            continue
        match = _HEADING.match(part.splitlines()[0])
        if match:
            blocks.append((len(match.group(1)), match.group(2).strip()))
            rest = "\n".join(part.splitlines()[1:]).strip()
            if rest:
                blocks.append((0, rest))
        else:
            blocks.append((0, " ".join(part.split())))
    return blocks


def write_copies(source: Path, folder: Path, copies: int) -> list[Path]:
    """`copies` variants of a Markdown guide: headings numbered by copy, paragraphs shuffled."""
    blocks = _markdown_blocks(source.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n in range(1, copies + 1):
        rng = random.Random(n)
        lines: list[str] = []
        section: list[str] = []
        for level, text in [*blocks, (1, "")]:  # a last heading flushes the last section
            if level:
                rng.shuffle(section)
                lines.extend(p + "\n" for p in section)
                section = []
                if text:
                    lines.append(f"{'#' * level} {text} (copy {n})\n" if level > 1 else f"# {text}\n")
            else:
                section.append(text)
        path = folder / f"guide-copy-{n:03d}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        files.append(path)
    return files


def warm_latency(settings: Settings, questions: list[str]) -> dict:
    from assistant.answer.pipeline import Assistant

    bot = Assistant(settings)
    bot.ask(questions[0])
    times = []
    stages: dict[str, list[float]] = {}
    for q in questions:  # stages from the same calls as the whole, each question asked once
        started = time.perf_counter()
        timings = bot.ask(q).timings_ms
        times.append((time.perf_counter() - started) * 1000)
        for stage, ms in timings.items():
            stages.setdefault(stage, []).append(ms)
    bot.index.close()
    return {**latency_scores(times), "stage_p50_ms": {s: percentile(v, 50) for s, v in stages.items()},
            "encoder": type(bot.embedder).__name__}


def cold_start(index: Path, question: str, runs: int) -> dict:
    results = [_measure([PYTHON, "-m", "assistant", "ask", question, "--index", str(index)])
               for _ in range(runs)]
    walls = [r["wall_s"] for r in results]
    return {"runs": runs, "wall_s_median": percentile(walls, 50), "wall_s_all": walls,
            "cpu_s_median": percentile([r["cpu_s"] for r in results], 50),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in results)}


def measure(corpus: Path, question_files: list[Path], scales: list[int], cold_runs: int = 3) -> dict:
    questions = [q.question for f in question_files for q in load_questions(f)]
    guide = sorted(corpus.glob("*.md"))[0]
    results: dict = {"cpu_count": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        index = tmp_path / "index"
        results.update(measure_ingest(corpus, tmp_path, index))
        settings = Settings.load(index=index, chroma_url="")
        results["warm"] = warm_latency(settings, questions)
        results["cold_start"] = cold_start(index, questions[0], cold_runs)
        results["scale"] = {}
        built: dict[int, Path] = {1: index}

        def ingested(n: int) -> Path:
            if n not in built:
                write_copies(guide, tmp_path / f"x{n}", n)
                _ingest([tmp_path / f"x{n}"], tmp_path / f"x{n}-index")
                built[n] = tmp_path / f"x{n}-index"
            return built[n]

        for n in scales:
            if n <= 10:
                ingested(n)
            else:
                built[n] = jittered_copies(ingested(10), tmp_path / f"x{n}-index", n // 10)
            scaled = Settings.load(index=built[n], chroma_url="")
            chunks = _count_chunks(scaled)
            warm = warm_latency(scaled, questions)
            results["scale"][f"x{n}"] = {"chunks": chunks, "p50_ms": warm["p50"], "p95_ms": warm["p95"]}
            print(f"scale x{n}: {results['scale'][f'x{n}']}", file=sys.stderr)
    return results


def measure_ingest(corpus: Path, tmp_path: Path, index: Path) -> dict:
    """`assistant ingest` of corpus/ into `index`, then of a generated 200-page PDF, each in a new process."""
    guide = sorted(corpus.glob("*.md"))[0]
    ingest = _ingest([corpus], index)
    ingest["chunks_per_s"] = round(ingest["chunks"] / ingest["wall_s"], 1)
    pdf = write_pdf(tmp_path / "generated-200-pages.pdf", guide)
    pdf_run = _ingest([pdf], tmp_path / "pdf-index")
    pdf_run["pages"] = 200
    pdf_run["pages_per_s"] = round(200 / pdf_run["wall_s"], 2)
    pdf_run["chunks_per_s"] = round(pdf_run["chunks"] / pdf_run["wall_s"], 1)
    return {"ingest_corpus": ingest, "ingest_pdf": pdf_run}


def _count_chunks(settings: Settings) -> int:
    from assistant.store.generations import open_generation

    generation = open_generation(settings)
    try:
        return generation.chunks.count()
    finally:
        generation.close()


def jittered_copies(source: Path, target: Path, copies: int, sd: float = 0.02) -> Path:
    """A new index holding `copies` copies of every record in `source`, each with jittered vectors."""
    import numpy as np

    from assistant.store.backend import COLLECTIONS
    from assistant.store.generations import Generation, open_generation
    from assistant.store.local import LocalBackend

    rng = np.random.default_rng(7)
    original = open_generation(Settings.load(index=source, chroma_url=""))
    backend = LocalBackend(target)
    name = backend.prepare(None)
    generation = Generation(backend, name, create=True)
    for kind in COLLECTIONS:
        rows = original.collections[kind].get(include=["documents", "metadatas", "embeddings"])
        vectors = np.asarray(rows["embeddings"], dtype=np.float32)
        for n in range(1, copies + 1):
            moved = vectors + rng.normal(0, sd, vectors.shape).astype(np.float32)
            moved /= np.linalg.norm(moved, axis=1, keepdims=True)
            metas = [_renumbered(m, n, kind) for m in rows["metadatas"]]
            ids = [m["section_id"] if kind == "sections" else f"{i}~{n}" for i, m in zip(rows["ids"], metas)]
            for start in range(0, len(ids), 1000):
                generation.collections[kind].add(
                    ids=ids[start:start + 1000], embeddings=moved[start:start + 1000],
                    documents=rows["documents"][start:start + 1000], metadatas=metas[start:start + 1000])
    generation.set_info(original.info())
    original.close()
    generation.close()
    backend.publish(name)
    return target


def _renumbered(meta: dict, n: int, kind: str) -> dict:
    out = {**meta, "section_id": f"{meta['section_id']}~{n}"}
    if kind == "sections":
        out["title"] = f"{meta['title']} [{n}]"
        out["path"] = json.dumps([f"{h} [{n}]" for h in json.loads(meta["path"])], ensure_ascii=False)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="Speed and scale figures for the assistant.")
    parser.add_argument("files", nargs="*", type=Path,
                        default=[Path("tests/eval/dev.jsonl"), Path("tests/eval/holdout.jsonl")])
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "corpus")
    parser.add_argument("--scales", default="1,10,100", help="corpus multiples, comma-separated")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--only", choices=["ingest"], help="measure only the two ingests")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",") if s]
    if args.only == "ingest":
        with tempfile.TemporaryDirectory() as tmp:
            results = {"cpu_count": os.cpu_count(), "load_average_at_start": os.getloadavg(),
                       **measure_ingest(args.corpus, Path(tmp), Path(tmp) / "index")}
    else:
        results = measure(args.corpus, args.files, scales, args.cold_runs)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
