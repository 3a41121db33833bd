"""Documents added from the chat app: checked, saved under the data folder, then ingested.

The upload is saved first and ingested by path like any other file, so the usual guarantees hold:
an unreadable file changes nothing, and the live index is replaced only when the new one is
complete. A file that failed is removed again so it is not retried on every ingest.

`UploadJob` runs that on a worker thread, so the script run that serves the page (and the people
sharing the server) never waits on reading or embedding; the page polls it for progress and may
cancel it between two embedded batches, which discards the unpublished copy of the index.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.embed.model import Embedder
from assistant.errors import AssistantError
from assistant.ingest.pipeline import Progress, ingest
from assistant.settings import Settings
from assistant.workspace.conversations import data_folder

UPLOAD_TYPES = ("pdf", "docx", "md", "markdown", "txt")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass
class UploadResult:
    ok: bool
    message: str


class Cancelled(Exception):
    """The person who started an upload cancelled it."""


def upload_folder(settings: Settings) -> Path:
    return data_folder(settings) / "uploads"


def safe_name(name: str) -> str:
    """The file's own name without any folder part or unusual characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip(" .")
    return cleaned or "document"


def check_upload(name: str, size: int, max_mb: int) -> str | None:
    """One sentence saying why this upload cannot be used, or None when it can."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_TYPES:
        kinds = ", ".join(t.upper() for t in UPLOAD_TYPES if t != "markdown")
        return f"{name} is not a supported document; please add a {kinds} file."
    if size == 0:
        return f"{name} is empty."
    if size > max_mb * 1024 * 1024:
        return f"{name} is {size / 1024 / 1024:.1f} MB, over the {max_mb} MB limit."
    return None


def add_document(name: str, data: bytes, settings: Settings, embedder: Embedder,
                 progress: Progress | None = None, known_sources: Iterable[str] = ()) -> UploadResult:
    """Save and ingest one uploaded document; never raises for a bad file.

    `known_sources` are the file names already cited by the index: a new upload may not take one
    of those names (it would replace that document), but an earlier upload may be updated.
    """
    problem = check_upload(name, len(data), settings.max_upload_mb)
    if problem:
        return UploadResult(False, problem)
    folder = upload_folder(settings)
    target = folder / safe_name(name)
    previous = target.read_bytes() if target.exists() else None
    if previous is None and target.name in set(known_sources):
        return UploadResult(False, f"A document called {target.name} is already in the index; "
                            "rename your file to add it alongside.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        report = ingest([target], settings, embedder, progress=progress)
    except Cancelled:
        _restore(target, previous)
        return UploadResult(False, f"Adding {target.name} was cancelled; nothing in the index was changed.")
    except AssistantError as exc:
        _restore(target, previous)
        return UploadResult(False, str(exc))
    except OSError as exc:
        _restore(target, previous)
        return UploadResult(False, f"Could not save {target.name}: {exc.strerror or exc}.")
    except Exception as exc:  # a broken file must give a sentence, not a traceback
        _restore(target, previous)
        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        return UploadResult(False, f"{target.name} could not be read ({exc.__class__.__name__}); "
                            "nothing in the index was changed.")
    if report.problems:
        _restore(target, previous)
        return UploadResult(False, " ".join(report.problems) + " Nothing in the index was changed.")
    if not report.published:
        return UploadResult(True, f"{target.name} was already in the index, unchanged.")
    return UploadResult(True, f"Added {target.name}: {report.sections} sections are now searchable.")


class UploadJob:
    """One upload read, checked against the limits and embedded on a worker thread."""

    def __init__(self, name: str, data: bytes, settings: Settings, embedder: Embedder,
                 known_sources: Iterable[str] = ()) -> None:
        self.name = name
        self.done = 0
        self.total = 0
        self.result: UploadResult | None = None
        self._cancel = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(data, settings, embedder, tuple(known_sources)),
            name=f"upload {safe_name(name)}", daemon=True,
        )
        self._thread.start()

    @property
    def finished(self) -> bool:
        return self.result is not None

    @property
    def fraction(self) -> float:
        return min(self.done / self.total, 1.0) if self.total else 0.0

    def status(self) -> str:
        if self._cancel.is_set():
            return f"Cancelling {self.name}…"
        if not self.total:
            return f"Reading {self.name}…"
        return f"Indexing {self.name}: {self.done} of {self.total} passages"

    def cancel(self) -> None:
        """Stop at the next embedded batch; nothing is published."""
        self._cancel.set()

    def _progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise Cancelled
        self.done, self.total = done, total

    def _run(self, data: bytes, settings: Settings, embedder: Embedder, known: tuple[str, ...]) -> None:
        try:  # add_document turns every problem, and a cancel, into a result
            self.result = add_document(self.name, data, settings, embedder, self._progress, known)
        except BaseException as exc:  # the page must always learn the job has ended
            self.result = UploadResult(False, f"{self.name} could not be added ({exc.__class__.__name__}).")
            raise


def _restore(target: Path, previous: bytes | None) -> None:
    """Put back what was on disk before the upload (or nothing)."""
    try:
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(previous)
    except OSError:
        pass
