"""Ingest: files -> sections -> chunks and sentences -> vectors -> a new published generation.

Incremental by construction: a file whose bytes are unchanged is skipped; a changed file has all its
records replaced, but only text never embedded before is sent through the model. Everything happens
in a private copy of the index that is published only when complete (see `assistant.store.generations`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.embed.model import Embedder
from assistant.errors import AssistantError, DocumentError, LimitError, UsageError
from assistant.ingest.chunking import Chunk, chunk_section, heading_context
from assistant.ingest.documents import Section, SourceFile, find_files, read_sections
from assistant.ingest.formats import SUPPORTED_SUFFIXES
from assistant.ingest.limits import Limits
from assistant.ingest.sentences import split_sentences
from assistant.settings import Settings
from assistant.store.backend import COLLECTIONS
from assistant.store.generations import (
    SCHEMA_VERSION,
    Generation,
    IndexInfo,
    backend_for,
    check_model,
    dumps_path,
)

Progress = Callable[[int, int], None]
_WRITE_BATCH = 1000


@dataclass
class IngestReport:
    files: int = 0
    sections: int = 0
    chunks: int = 0
    embedded: int = 0
    removed_sources: list[str] = field(default_factory=list)
    unchanged_files: int = 0
    problems: list[str] = field(default_factory=list)
    # Files found but not read, each with the short reason: the setting it is over, or "unreadable".
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    published: bool = False

    def summary(self) -> str:
        state = "index updated" if self.published else "index unchanged"
        text = (
            f"{self.files} file(s), {self.sections} sections, {self.chunks} chunks; "
            f"{self.embedded} new vectors; {state} in {self.seconds:.1f} s."
        )
        if self.unchanged_files:
            text += f" {self.unchanged_files} file(s) had not changed."
        if self.removed_sources:
            text += f" Removed {len(self.removed_sources)} file(s) no longer on disk."
        if self.skipped:
            named = ", ".join(f"{source} ({why})" for source, why in self.skipped.items())
            text += f" Skipped {len(self.skipped)} file(s): {named}."
        return text


@dataclass
class _Records:
    """Everything one source file contributes to the three collections."""

    ids: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in COLLECTIONS})
    texts: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in COLLECTIONS})
    embed: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in COLLECTIONS})
    metas: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in COLLECTIONS})
    chunk_owner: list[str] = field(default_factory=list)  # section id of each chunk


def ingest(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    files, report.problems = find_files(paths)
    if not files and report.problems:
        # Only paths that do not exist are a usage slip; files we cannot use are a failure.
        missing = all(not p.exists() for p in paths)
        raise (UsageError if missing else DocumentError)(" ".join(report.problems))
    if not files:
        # An empty folder is far more often a wrong path than a wish to empty the index.
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        raise UsageError(f"No guide documents found in {', '.join(map(str, paths))} (looked for {kinds}).")
    backend = backend_for(settings)
    with backend.lock():
        base = None if rebuild else backend.current()
        known = _known_files(backend, base, embedder)
        readable: list[SourceFile] = []
        limits = Limits.from_settings(settings)
        for file in files:
            try:
                file.sections = read_sections(file, settings.max_file_mb * 2**20, limits)
            except AssistantError as exc:
                report.problems.append(str(exc))
                why = f"over {exc.setting}" if isinstance(exc, LimitError) else "unreadable"
                report.skipped[file.source] = why
                continue
            readable.append(file)
        changed = [f for f in readable if known.get(f.source, ("", ""))[0] != f.sha256]
        report.unchanged_files = len(readable) - len(changed)
        report.removed_sources = _vanished(known, files, paths)
        report.files = len(readable)
        report.sections = sum(len(f.sections) for f in readable)
        # Chunked once: the counts for the summary and the records to write both come from here.
        fits = _fits_model(embedder)
        chunked = {
            f.source: [(s, chunk_section(s, settings.chunk_chars, fits)) for s in f.sections]
            for f in readable
        }
        report.chunks = sum(len(chunks) for parts in chunked.values() for _, chunks in parts)
        needed = changed or report.removed_sources or (rebuild and readable) or base is None
        if needed and (readable or base is not None):
            records = {f.source: _records(f, chunked[f.source]) for f in changed}
            _write(backend, base, records, report, embedder, progress)
    report.seconds = time.perf_counter() - started
    return report


def _known_files(backend, base: str | None, embedder: Embedder) -> dict[str, tuple[str, str]]:
    """source -> (sha256, root) for every file in the current generation."""
    if base is None:
        return {}
    generation = Generation(backend, base)
    try:
        check_model(generation.info(), embedder.name, embedder.dimension)
        rows = generation.sections.get(include=["metadatas"])
        return {m["source"]: (m.get("sha256", ""), m.get("root", "")) for m in rows["metadatas"]}
    finally:
        generation.close()


def _vanished(known: dict[str, tuple[str, str]], found: list[SourceFile], paths: list[Path]) -> list[str]:
    """Files once ingested from a folder being ingested again, now gone from it."""
    roots = {str(p.resolve()) for p in paths if p.is_dir()}
    present = {f.source for f in found}
    return sorted(s for s, (_, root) in known.items() if root in roots and s not in present)


def _write(backend, base, records: dict[str, _Records], report, embedder, progress) -> None:
    name = backend.prepare(base)
    generation: Generation | None = None
    try:
        generation = Generation(backend, name, create=True)
        vectors = _vectors(generation, records, embedder, report, progress)
        for source in [*records, *report.removed_sources]:
            for kind in COLLECTIONS:
                generation.collections[kind].delete(where={"source": source})
        for source, rec in records.items():
            _add(generation, rec, vectors[source])
        generation.set_info(
            IndexInfo(embedder.name, embedder.dimension, time.strftime("%Y-%m-%dT%H:%M:%SZ",
                      time.gmtime()), schema=SCHEMA_VERSION)
        )
        generation.close()
        generation = None
        backend.publish(name)
        report.published = True
    except BaseException as exc:
        if generation is not None:
            generation.close()
        backend.discard(name)
        if isinstance(exc, OSError):  # a full disk or a folder we may not write to
            raise AssistantError(
                f"Could not write the new index at {backend.describe()} ({exc.strerror or exc}); "
                "the previous index is unchanged."
            ) from None
        raise


def _fits_model(embedder: Embedder) -> Callable[[str], bool]:
    """Whether a text fits the model's window (which also holds two special tokens)."""
    return lambda text: embedder.token_count(text) + 2 <= embedder.max_tokens


def _records(file: SourceFile, chunked: list[tuple[Section, list[Chunk]]]) -> _Records:
    rec = _Records()
    root = str(file.root.resolve()) if file.root else ""
    for section, chunks in chunked:
        base_meta = {"source": section.source, "section_id": section.section_id}
        for chunk in chunks:
            rec.ids["chunks"].append(chunk.chunk_id)
            rec.texts["chunks"].append(chunk.text)
            rec.embed["chunks"].append(chunk.embed_text)
            rec.metas["chunks"].append({**base_meta, "order": chunk.order,
                                        "context": heading_context(section.path)})
            rec.chunk_owner.append(section.section_id)
        counts: dict[str, int] = {}
        for order, sentence in enumerate(split_sentences(section.text)):
            seen = counts.get(sentence, 0)
            counts[sentence] = seen + 1
            key = f"{section.section_id}\x1f{sentence}\x1f{seen}"
            rec.ids["sentences"].append(hashlib.sha256(key.encode()).hexdigest()[:32])
            rec.texts["sentences"].append(sentence)
            rec.embed["sentences"].append(sentence)
            rec.metas["sentences"].append({**base_meta, "order": order})
        rec.ids["sections"].append(section.section_id)
        rec.texts["sections"].append(section.text)
        rec.embed["sections"].append(heading_context(section.path))
        rec.metas["sections"].append(_section_meta(section, file.sha256, root))
    return rec


def _section_meta(section: Section, sha256: str, root: str) -> dict:
    meta = {
        "source": section.source,
        "section_id": section.section_id,
        "title": section.title,
        "path": dumps_path(section.path),
        "order": section.order,
        "sha256": sha256,
        "root": root,
    }
    # Chroma metadata cannot hold None: a missing page key means "no pages" (not a PDF).
    if section.page_start is not None:
        meta["page_start"] = section.page_start
        meta["page_end"] = section.page_end or section.page_start
    return meta


def _vectors(generation, records, embedder, report, progress) -> dict[str, dict[str, np.ndarray]]:
    """Vectors for every record: reused from the store when the id exists, else embedded."""
    reuse: dict[str, dict[str, list[float]]] = {}
    todo: list[tuple[str, str, int, str]] = []  # (source, kind, position, text)
    for source, rec in records.items():
        for kind in ("chunks", "sentences"):
            ids = rec.ids[kind]
            stored = generation.collections[kind].get(ids=ids, include=["embeddings"]) if ids else None
            found = dict(zip(stored["ids"], stored["embeddings"])) if stored else {}
            reuse.setdefault(kind, {}).update(found)
            todo.extend(
                (source, kind, i, rec.embed[kind][i]) for i, cid in enumerate(ids) if cid not in found
            )
        # Sections with no text of their own are represented by their heading path alone.
        owners = set(rec.chunk_owner)
        todo.extend(
            (source, "sections", i, text)
            for i, (sid, text) in enumerate(zip(rec.ids["sections"], rec.embed["sections"]))
            if sid not in owners
        )
    fresh = embedder.encode_many([t[3] for t in todo], progress)
    report.embedded = sum(1 for t in todo if t[1] == "chunks")
    result: dict[str, dict[str, np.ndarray]] = {}
    for source, rec in records.items():
        result[source] = {
            kind: np.zeros((len(rec.ids[kind]), embedder.dimension), dtype=np.float32)
            for kind in COLLECTIONS
        }
        for kind in ("chunks", "sentences"):
            for i, cid in enumerate(rec.ids[kind]):
                if cid in reuse.get(kind, {}):
                    result[source][kind][i] = reuse[kind][cid]
    for (source, kind, i, _), vector in zip(todo, fresh):
        result[source][kind][i] = vector
    for source, rec in records.items():
        _section_vectors(rec, result[source])
    return result


def _section_vectors(rec: _Records, vectors: dict[str, np.ndarray]) -> None:
    """A section's vector is the normalised mean of its chunks' vectors."""
    position = {sid: i for i, sid in enumerate(rec.ids["sections"])}
    sums: dict[str, np.ndarray] = {}
    for owner, vector in zip(rec.chunk_owner, vectors["chunks"]):
        sums[owner] = sums.get(owner, 0) + vector
    for owner, total in sums.items():
        norm = float(np.linalg.norm(total)) or 1.0
        vectors["sections"][position[owner]] = total / norm


def _add(generation: Generation, rec: _Records, vectors: dict[str, np.ndarray]) -> None:
    for kind in COLLECTIONS:
        ids = rec.ids[kind]
        for start in range(0, len(ids), _WRITE_BATCH):
            end = start + _WRITE_BATCH
            generation.collections[kind].add(
                ids=ids[start:end],
                embeddings=vectors[kind][start:end],
                documents=rec.texts[kind][start:end],
                metadatas=rec.metas[kind][start:end],
            )
