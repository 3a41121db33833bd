"""The Chroma store, kept behind one module, written as all-or-nothing generations.

An ingest never edits the index that readers use. It copies the current generation, changes the
copy, and then publishes it by replacing one small pointer file atomically. A crash or a failure at
any moment leaves the previous generation, and the pointer to it, exactly as they were.

Records live in three collections, each holding our own vectors (Chroma's embedder is never used):
`chunks` (retrieval units), `sections` (one per heading, full text, mean chunk vector) and
`sentences` (for composing extractive answers without encoding text at question time).

Where generations live is a backend's business (`assistant.store.backend.Backend`): folders on this
computer (`local.py`) or collections on a Chroma server (`server.py`).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import IndexMismatchError, NoIndexError
from assistant.settings import Settings
from assistant.store.backend import COLLECTIONS, Backend
from assistant.store.local import LocalBackend
from assistant.store.server import ServerBackend

SCHEMA_VERSION = 1


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


def backend_for(settings: Settings) -> Backend:
    """The embedded store by default; a Chroma server when `chroma_url` is set."""
    if settings.chroma_url:
        return ServerBackend(settings.chroma_url)
    return LocalBackend(Path(settings.index))


class Generation:
    """One generation's collections, opened for reading or (during an ingest) for writing."""

    def __init__(self, backend: Backend, name: str, create: bool = False) -> None:
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
