"""What a reader of an index can observe, so tests can say "exactly as before" and mean it."""

from __future__ import annotations

from assistant.answer.pipeline import Assistant
from assistant.embed.model import Embedder
from assistant.settings import Settings
from assistant.store.backend import COLLECTIONS
from assistant.store.catalogue import load_sections
from assistant.store.generations import backend_for, open_generation

PROBE = "Who should lead digital change?"


def observe(settings: Settings, embedder: Embedder, question: str = PROBE) -> dict:
    """Live generation, record counts per collection, and the full answer to a probe question."""
    generation = open_generation(settings)
    try:
        counts = {kind: generation.collections[kind].count() for kind in COLLECTIONS}
        sections = {sid: (s.path, s.source, s.text) for sid, s in load_sections(generation).items()}
    finally:
        generation.close()
    helper = Assistant(settings, embedder)
    try:
        answer = helper.ask(question).to_json()
    finally:
        helper.index.close()
    answer.pop("timings_ms")  # the only part that may differ between two identical runs
    return {"generation": backend_for(settings).current(), "counts": counts, "answer": answer,
            "sections": sections}


def kept_everything(before: dict, after: dict) -> bool:
    """Whether every section indexed before is still there, word for word, after files were added.

    (The probe's answer may rightly change when a new file covers the same subject, so "as before"
    for a growing index means nothing already indexed was lost or altered.)"""
    return all(after["sections"].get(sid) == section for sid, section in before["sections"].items())
