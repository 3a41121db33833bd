"""The Chroma store, kept behind one module, written as all-or-nothing generations.

An ingest never edits the index that readers use. It copies the current generation, changes the
copy, and then publishes it by replacing one small pointer file atomically. A crash or a failure at
any moment leaves the previous generation, and the pointer to it, exactly as they were.

Records live in three collections, each holding our own vectors (Chroma's embedder is never used):
`chunks` (retrieval units), `sections` (one per heading, full text, mean chunk vector) and
`sentences` (for composing extractive answers without encoding text at question time).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, IndexBusyError, IndexMismatchError, NoIndexError
from assistant.settings import Settings

COLLECTIONS = ("chunks", "sections", "sentences")
SCHEMA_VERSION = 1
_POINTER = "CURRENT"
_LOCK = ".lock"


@dataclass(frozen=True)
class IndexInfo:
    """What the index records about how it was built."""

    model: str
    dimension: int
    built_at: str
    schema: int

    def to_metadata(self) -> dict[str, Any]:
        return {"model": self.model, "dimension": self.dimension, "built_at": self.built_at,
                "schema": self.schema}

    @classmethod
    def from_metadata(cls, meta: dict[str, Any] | None) -> IndexInfo | None:
        if not meta or "model" not in meta:
            return None
        return cls(str(meta["model"]), int(meta["dimension"]), str(meta.get("built_at", "")),
                   int(meta.get("schema", 0)))


def chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class LocalBackend:
    """Generations are sibling folders under the index folder; `CURRENT` names the live one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def current(self) -> str | None:
        try:
            name = (self.root / _POINTER).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return name if name and (self.root / name).is_dir() else None

    def client(self, generation: str):
        import chromadb

        return chromadb.PersistentClient(path=str(self.root / generation), settings=chroma_settings())

    def collection_name(self, generation: str, name: str) -> str:
        return name

    def prepare(self, base: str | None) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        generation = f"gen-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
        if base:
            shutil.copytree(self.root / base, self.root / generation)
        else:
            (self.root / generation).mkdir()
        return generation

    def publish(self, generation: str) -> None:
        previous = self.current()
        _atomic_write(self.root / _POINTER, generation + "\n")
        # Keep the generation just replaced: a running app may still be reading from it.
        keep = {generation, previous}
        for folder in self.root.glob("gen-*"):
            if folder.name not in keep and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)

    def discard(self, generation: str) -> None:
        shutil.rmtree(self.root / generation, ignore_errors=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = open(self.root / _LOCK, "a+")  # noqa: SIM115 (closed by the `with` below)
        except OSError as exc:
            raise AssistantError(
                f"The index folder {self.root} cannot be written ({exc.strerror or exc}); "
                "choose another with --index or ASSISTANT_INDEX."
            ) from None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusyError(
                    f"Another ingest is already updating the index at {self.root}; "
                    "wait for it to finish and try again."
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def backend_for(settings: Settings):
    """The embedded store by default; a Chroma server when `chroma_url` is set."""
    if settings.chroma_url:
        from assistant.store.server import ServerBackend

        return ServerBackend(settings.chroma_url)
    return LocalBackend(Path(settings.index))


class Generation:
    """One generation's collections, opened for reading or (during an ingest) for writing."""

    def __init__(self, backend, name: str, create: bool = False) -> None:
        self.backend = backend
        self.name = name
        self.client = backend.client(name)
        self.collections = {}
        for kind in COLLECTIONS:
            full = backend.collection_name(name, kind)
            if create:
                self.collections[kind] = self.client.get_or_create_collection(
                    full, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            else:
                self.collections[kind] = self.client.get_collection(full, embedding_function=None)

    @property
    def chunks(self):
        return self.collections["chunks"]

    @property
    def sections(self):
        return self.collections["sections"]

    @property
    def sentences(self):
        return self.collections["sentences"]

    def info(self) -> IndexInfo | None:
        return IndexInfo.from_metadata(self.sections.metadata)

    def set_info(self, info: IndexInfo) -> None:
        self.sections.modify(metadata=info.to_metadata())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


def open_generation(settings: Settings) -> Generation:
    """The live generation, or NoIndexError telling the person to run ingest."""
    backend = backend_for(settings)
    name = backend.current()
    if name is None:
        raise NoIndexError(
            f"No index found at {backend.describe()}; run `assistant ingest` first."
        )
    return Generation(backend, name)


def check_model(info: IndexInfo | None, model: str, dimension: int) -> None:
    """Vectors from two models are not comparable: refuse rather than return wrong sections."""
    if info is None:
        raise IndexMismatchError("The index has no build record; re-run `assistant ingest --rebuild`.")
    if info.model != model or info.dimension != dimension:
        raise IndexMismatchError(
            f"The index was built with the model {info.model} ({info.dimension} dimensions) but "
            f"the assistant is set to use {model} ({dimension} dimensions); "
            "re-run `assistant ingest --rebuild`."
        )


def dumps_path(path: tuple[str, ...]) -> str:
    return json.dumps(list(path), ensure_ascii=False)


def loads_path(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))
