"""Crash safety: an ingest killed with SIGKILL at any moment leaves the index answering as before.

Each kill happens in a real child process running a real ingest of a guide big enough to take a few
seconds. Kill moments are spread over the ingest's stages (just started, embedding, writing and
publishing) with a fixed random seed, so a failure can be replayed.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from index_state import kept_everything, observe

from assistant.errors import IndexBusyError
from assistant.ingest.pipeline import ingest

# The child prints "ready" once its model is loaded, "progress" per embedded batch, "done" at the end.
CHILD = """
import sys
from pathlib import Path

import assistant
from assistant.embed.model import Embedder
from assistant.ingest.pipeline import ingest
from assistant.settings import Settings

settings = Settings.load(index=Path(sys.argv[1]), chroma_url="")
embedder = Embedder()
print("ready", flush=True)
report = ingest([Path(sys.argv[2])], settings, embedder,
                progress=lambda done, total: print("progress", done, total, flush=True))
print("done", report.published, flush=True)
"""

NEW_QUESTION = "How often are the potholes on Elm Street resurfaced?"


def _big_guide(path: Path, sections: int = 40) -> Path:
    """A guide on highways maintenance, a few hundred sentences, unrelated to the probe question."""
    lines = ["# Highways maintenance handbook", ""]
    for n in range(1, sections + 1):
        lines += [f"## {n} Street {n} works", "",
                  f"Street {n} is inspected every {n % 12 + 1} weeks by the highways team. "
                  f"Potholes deeper than {n % 5 + 4} centimetres are filled within {n % 7 + 2} days. "
                  f"The verge on street {n} is cut {n % 3 + 2} times a year. "
                  f"Residents report faults on street {n} through the council website.", ""]
    lines += ["## Elm Street", "", "The potholes on Elm Street are resurfaced every spring.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class Child:
    """One ingest in a child process, read line by line."""

    def __init__(self, index: Path, source: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(index), str(source)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def wait_for(self, word: str, timeout: float = 300) -> list[str]:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"child ended before {word!r}: {self.process.stderr.read()}")
            seen.append(line.split())
            if line.startswith(word):
                return seen
        raise AssertionError(f"child did not print {word!r} in {timeout} s")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def finish(self) -> int:
        self.process.wait(timeout=600)
        return self.process.returncode


@pytest.fixture
def big_guide(tmp_path) -> Path:
    return _big_guide(tmp_path / "highways.md")


def _stage_points(rng: random.Random) -> list[tuple[str, float]]:
    """(line to wait for, then a random delay): just started, mid-embedding, writing, publishing."""
    return [
        ("ready", rng.uniform(0.0, 0.3)),
        ("progress", rng.uniform(0.0, 0.5)),
        ("progress", rng.uniform(0.5, 1.5)),
        ("last", rng.uniform(0.0, 0.1)),
        ("last", rng.uniform(0.1, 0.5)),
    ]


def _without_generation(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "generation"}


def test_sigkill_at_any_moment_leaves_the_index_as_it_was(fresh_copy, big_guide, embedder, tmp_path):
    before = observe(fresh_copy, embedder)
    pristine = tmp_path / "pristine"
    shutil.copytree(fresh_copy.index, pristine)
    # What a completed ingest looks like, for a kill that lands after the new index was published.
    reference = fresh_copy.replace(index=tmp_path / "reference")
    shutil.copytree(pristine, reference.index)
    ingest([big_guide], reference, embedder)
    complete = _without_generation(observe(reference, embedder))

    rng = random.Random(20181126)
    outcomes = []
    for wait_for, delay in _stage_points(rng):
        started = time.monotonic()
        child = Child(fresh_copy.index, big_guide)
        child.wait_for("ready")
        if wait_for == "progress":
            child.wait_for("progress")
        elif wait_for == "last":
            # Wait until every batch is embedded: what follows is the copy, write and publish.
            while (line := child.wait_for("progress")[-1])[1] != line[2]:
                pass
        time.sleep(delay)
        child.kill()
        state = observe(fresh_copy, embedder)
        if state["generation"] == before["generation"]:
            outcomes.append("killed before publishing")
            assert state == before, f"after a kill at {wait_for}+{delay:.2f}s"
        else:
            # Too late to interrupt: the new index must then be whole. Start again from before.
            outcomes.append("killed after publishing")
            assert _without_generation(state) == complete, f"after a kill at {wait_for}+{delay:.2f}s"
            shutil.rmtree(fresh_copy.index)
            shutil.copytree(pristine, fresh_copy.index)
        print(f"kill at {wait_for}+{delay:.2f}s: {outcomes[-1]} ({time.monotonic() - started:.0f} s)")
    # The first two points land before the new index is published on any machine; the later ones
    # may land before or after it, depending on how fast this machine embeds.
    assert outcomes[:2] == ["killed before publishing"] * 2, outcomes

    # The next ingest completes, publishes, and tidies away what the killed ones left behind.
    report = ingest([big_guide], fresh_copy, embedder)
    assert report.published
    after = observe(fresh_copy, embedder, NEW_QUESTION)
    assert any(c["title"] == "Elm Street" for c in after["answer"]["citations"])
    assert kept_everything(before, observe(fresh_copy, embedder))
    assert len(list(fresh_copy.index.glob("gen-*"))) <= 2


def test_two_ingests_at_once_the_second_is_refused(fresh_copy, big_guide, embedder):
    before = observe(fresh_copy, embedder)
    child = Child(fresh_copy.index, big_guide)
    child.wait_for("progress")  # it holds the lock while embedding
    with pytest.raises(IndexBusyError, match="Another ingest is already updating the index"):
        ingest([big_guide], fresh_copy, embedder)
    assert observe(fresh_copy, embedder) == before
    assert child.finish() == 0
    assert observe(fresh_copy, embedder)["generation"] != before["generation"]
