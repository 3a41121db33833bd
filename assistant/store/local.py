"""The embedded store: generations are sibling folders under the index folder, `CURRENT` names the live one.

Publishing replaces the small `CURRENT` file atomically (write a temporary file, fsync, rename), so
a reader sees the old generation or the new one, never a mixture. Writers take turns through a
file lock (`filelock`) held for the whole of an ingest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.errors import AssistantError, IndexBusyError
from assistant.store.backend import chroma_settings, new_generation_name

_POINTER = "CURRENT"
_LOCK = ".lock"


class LocalBackend:
    """Generations as folders under `root`; implements `assistant.store.backend.Backend`."""

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
        generation = new_generation_name()
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
        lock = FileLock(self.root / _LOCK, timeout=0)  # never wait: say at once that the index is busy
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except Timeout:
            raise IndexBusyError(
                f"Another ingest is already updating the index at {self.root}; "
                "wait for it to finish and try again."
            ) from None
        except OSError as exc:
            raise AssistantError(
                f"The index folder {self.root} cannot be written ({exc.strerror or exc}); "
                "choose another with --index or ASSISTANT_INDEX."
            ) from None
        try:
            yield
        finally:
            lock.release()


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
