"""Hostile documents: peak memory while `assistant ingest` refuses each, and ingest speed beside it.

Each hostile file (tests/hostile_files.py: a Word zip bomb unpacking to 220 MB, the same with zip
headers that claim 1 KB, a Word paragraph of 12 million characters, a PDF of 5,000 blank pages, HTML
nested 100,000 deep, 12 million characters of Markdown, a file whose extension lies, an
entity-expansion bomb) is refused by `assistant ingest`
in a new process; the kernel's peak RSS for that process is recorded (it includes loading the
embedding model, which `ingest` does first) and must stay under 1 GiB.

Speed: `assistant ingest` of the bundled guide and of a generated 200-page PDF (as in
`bench/speed.py --only ingest`), alternated with the same ingests by the code before the limits
(`--before` a checkout of it, e.g. made with `git archive`), best of `--rounds` for each.

Run: .venv/bin/python bench/hostile.py [--before /tmp/limits-before] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent / "tests")]

import hostile_files as hostile  # noqa: E402
from speed import _LAUNCHER, PYTHON, write_pdf  # noqa: E402

from assistant.settings import PROJECT_ROOT  # noqa: E402

GIB = 1024
CASES = {
    "bomb.docx": hostile.word_bomb,
    "understated.docx": hostile.word_bomb_understated,
    "paragraph.docx": hostile.word_one_huge_paragraph,
    "laughs.docx": hostile.word_entity_bomb,
    "blank.pdf": hostile.blank_pdf,
    "nested.html": hostile.nested_html,
    "long.md": hostile.long_markdown,
    "really-word.pdf": hostile.word_named_pdf,
}


def run(args: list[str], pythonpath: str | None = None) -> dict:
    """One command in a new process: exit code, wall and CPU seconds, peak RSS, its last words."""
    env = {**os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {})}
    with tempfile.TemporaryDirectory() as folder:
        usage_file = Path(folder) / "usage.json"
        done = subprocess.run([PYTHON, "-c", _LAUNCHER, str(usage_file), *args], capture_output=True,
                              cwd=pythonpath or PROJECT_ROOT, env=env, text=True)
        usage = json.loads(usage_file.read_text())
    return {"exit": done.returncode, "wall_s": round(usage["wall_s"], 2), "cpu_s": round(usage["cpu_s"], 2),
            "peak_rss_mib": round(usage["peak_kib"] / 1024), "stdout": done.stdout.strip(),
            "stderr": done.stderr.strip().splitlines()[-3:]}


def refusals(folder: Path) -> dict:
    results = {}
    for name, make in CASES.items():
        path = make(folder / name)
        outcome = run([PYTHON, "-m", "assistant", "ingest", str(path), "--index", str(folder / "index")])
        outcome["file_mb"] = round(path.stat().st_size / 2**20, 2)
        outcome["under_1_gib"] = outcome["peak_rss_mib"] < GIB
        results[name] = outcome
        print(f"{name}: exit {outcome['exit']}, {outcome['wall_s']} s, peak {outcome['peak_rss_mib']} MiB; "
              f"{outcome['stderr'][-1] if outcome['stderr'] else ''}", file=sys.stderr)
        path.unlink()
    return results


def speed(folder: Path, before: Path | None, rounds: int) -> dict:
    corpus = PROJECT_ROOT / "corpus"
    pdf = write_pdf(folder / "generated-200-pages.pdf", sorted(corpus.glob("*.md"))[0])
    versions = {"after": None, **({"before": str(before)} if before else {})}
    best: dict[str, dict[str, dict]] = {v: {} for v in versions}
    for n in range(rounds):
        for version, pythonpath in versions.items():
            for label, source in (("guide", corpus), ("pdf_200_pages", pdf)):
                index = folder / f"{version}-{label}-{n}"
                outcome = run([PYTHON, "-m", "assistant", "ingest", str(source), "--index", str(index)],
                              pythonpath)
                assert outcome["exit"] == 0, outcome
                outcome.pop("stderr")
                print(f"{version} {label} round {n + 1}: {outcome['wall_s']} s", file=sys.stderr)
                kept = best[version].get(label)
                if kept is None or outcome["wall_s"] < kept["wall_s"]:
                    best[version][label] = outcome
    if before:
        after, was = best["after"], best["before"]
        # CPU seconds too: on a shared machine they move less with other people's load than wall time.
        best["after_over_before"] = {f"{k}_{m}": round(after[k][m] / was[k][m], 3)
                                     for k in after for m in ("wall_s", "cpu_s")}
    return best


_READ = """
import json, sys, time
from pathlib import Path
from assistant.ingest.documents import SourceFile, read_sections
best = {}
for path in map(Path, sys.argv[1:]):
    spent = []
    for _ in range(3):
        started = time.process_time()
        sections = read_sections(SourceFile(path, path.name))
        spent.append(time.process_time() - started)
    best[path.name] = {"cpu_s": round(min(spent), 3), "sections": len(sections)}
print(json.dumps(best))
"""


def reading(folder: Path, before: Path | None) -> dict:
    """CPU seconds to read the guide and the 200-page PDF into sections (where the limits are
    checked), best of three, per version: the part of ingest the limits can slow, without embedding."""
    corpus = PROJECT_ROOT / "corpus"
    pdf = folder / "generated-200-pages.pdf"
    if not pdf.exists():
        write_pdf(pdf, sorted(corpus.glob("*.md"))[0])
    files = [str(sorted(corpus.glob("*.md"))[0]), str(pdf)]
    versions = {"after": None, **({"before": str(before)} if before else {})}
    out = {}
    for version, pythonpath in versions.items():
        env = {**os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {})}
        done = subprocess.run([PYTHON, "-c", _READ, *files], capture_output=True, text=True, env=env,
                              cwd=pythonpath or PROJECT_ROOT, check=True)
        out[version] = json.loads(done.stdout)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a checkout of the code before the limits")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true", help="refusals only; keep the speed figures")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "hostile.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {"cpu_count": os.cpu_count(), "load_average_at_start": os.getloadavg(),
                   "refusals": refusals(Path(tmp))}
        results["reading"] = reading(Path(tmp), args.before)
        if not args.skip_speed:
            results["ingest_speed"] = speed(Path(tmp), args.before, args.rounds)
        elif args.out.exists():  # keep the speed figures of the last full run
            kept = json.loads(args.out.read_text(encoding="utf-8")).get("ingest_speed")
            results.update({"ingest_speed": kept} if kept else {})
    results["all_refused_under_1_gib"] = all(r["exit"] == 1 and r["under_1_gib"]
                                             for r in results["refusals"].values())
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0 if results["all_refused_under_1_gib"] else 1


if __name__ == "__main__":
    sys.exit(main())
