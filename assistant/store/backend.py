"""What a store backend is: the typed protocol that the embedded and the server backends implement.

`generations.py` writes generations through this protocol and never needs to know which backend it
holds; each backend imports only this module, so the two sides share their types without importing
each other.
"""

from __future__ import annotations

import time
import uuid
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

COLLECTIONS = ("chunks", "sections", "sentences")


def chroma_settings():
    """Chroma client settings for every backend: telemetry off, no `reset`."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


@runtime_checkable
class Backend(Protocol):
    """Where generations live, how the live one is named, and how writers take turns."""

    def describe(self) -> str:
        """Where the index is, for messages: a folder, or a server's address."""
        ...

    def current(self) -> str | None:
        """The live generation's name, or None when nothing has been published."""
        ...

    def client(self, generation: str) -> Any:
        """A Chroma client that can open the given generation's collections."""
        ...

    def collection_name(self, generation: str, name: str) -> str:
        """The full collection name of one of `COLLECTIONS` within a generation."""
        ...

    def prepare(self, base: str | None) -> str:
        """A new, unpublished generation: a copy of `base`, or empty. Returns its name."""
        ...

    def publish(self, generation: str) -> None:
        """Make `generation` the live one, atomically; older ones may be removed."""
        ...

    def discard(self, generation: str) -> None:
        """Remove an unpublished generation (an ingest that failed)."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Held for the whole of an ingest; raises IndexBusyError when another holds it."""
        ...


def new_generation_name() -> str:
    """A fresh generation name, sortable by creation time: `gen-20261126T201000-ab12cd`."""
    return f"gen-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
