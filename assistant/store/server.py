"""The store on a shared Chroma server, for deployments where several app instances serve one council.

Same interface and the same all-or-nothing promise as the embedded `LocalBackend`, built from what a
Chroma server offers:

- A generation is a set of collections whose names share a prefix, e.g.
  `assistant-gen-20261126T201000-ab12cd-chunks`.
- The live generation is named in the metadata of one tiny collection, `assistant-pointer`. Publishing
  rewrites that metadata in a single call, so a reader sees the old generation or the new one, never
  a mixture.
- An ingest copies the live generation's records (ids, vectors, texts, metadata) into new
  collections and edits only the copy.
- Publishing deletes generations older than the one it replaces (a running app may still be reading
  the previous one), including any left behind by an ingest that crashed.

The write lock is a collection, `assistant-lock`, whose metadata holds an owner token and an expiry.
Creating a collection whose name exists fails on the server, so of two ingests racing for a free lock
exactly one wins. The holder renews the expiry in the background while it works. Its limits: a lock
whose holder died is taken over only after it expires (up to `LOCK_TTL_SECONDS`), and two takers of
the same expired lock could in a narrow window both delete-and-recreate it; each taker re-reads the
owner after creating, which closes most but not all of that window. Clocks of the machines sharing
the server should agree to within a few seconds.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from assistant.errors import IndexBusyError, StoreUnavailableError, UsageError
from assistant.store.backend import COLLECTIONS, chroma_settings, new_generation_name

PREFIX = "assistant"
LOCK_TTL_SECONDS = 120.0
_COPY_PAGE = 1000
_COSINE = {"hnsw": {"space": "cosine"}}
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


class ServerBackend:
    """Generations as collection-name prefixes on a Chroma server; a pointer collection names the live one.

    Implements `assistant.store.backend.Backend`."""

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        self.url = url
        self.prefix = prefix
        self._pointer = f"{prefix}-pointer"
        self._lock_name = f"{prefix}-lock"

    def describe(self) -> str:
        return f"the Chroma server at {self.url}"

    # Reading -----------------------------------------------------------------------------------

    def current(self) -> str | None:
        from chromadb.errors import NotFoundError

        try:
            pointer = self._admin().get_collection(self._pointer)
        except NotFoundError:
            return None
        live = (pointer.metadata or {}).get("live")
        return str(live) if live else None

    def client(self, generation: str):
        """The process's shared client for this server; closing it is a no-op (see `_Guarded`)."""
        return self._admin()

    def collection_name(self, generation: str, name: str) -> str:
        return f"{self.prefix}-{generation}-{name}"

    # Writing (always under `lock()`) -------------------------------------------------------------

    def prepare(self, base: str | None) -> str:
        """Create the new generation's collections, filled with a copy of `base`'s records."""
        generation = new_generation_name()
        client = self._admin()
        try:
            for kind in COLLECTIONS:
                source = client.get_collection(self.collection_name(base, kind)) if base else None
                target = client.create_collection(
                    self.collection_name(generation, kind), configuration=_COSINE,
                    metadata=(source.metadata or None) if source else None, embedding_function=None,
                )
                if source is not None:
                    _copy(source, target)
        except BaseException:
            self.discard(generation)
            raise
        return generation

    def publish(self, generation: str) -> None:
        previous = self.current()
        client = self._admin()
        pointer = client.get_or_create_collection(self._pointer)
        # One call switches every reader to the new generation.
        pointer.modify(metadata={"live": generation, "previous": previous or "",
                                 "published_at": time.time()})
        keep = {generation, previous}
        for name in self._generations():
            if name not in keep:
                self.discard(name)

    def discard(self, generation: str) -> None:
        client = self._admin()
        for kind in COLLECTIONS:
            with contextlib.suppress(Exception):  # a collection not created yet is fine
                client.delete_collection(self.collection_name(generation, kind))

    def _generations(self) -> set[str]:
        start = f"{self.prefix}-"
        names = set()
        for collection in self._admin().list_collections():
            name = collection.name
            if not name.startswith(start + "gen-"):
                continue
            for kind in COLLECTIONS:
                if name.endswith(f"-{kind}"):
                    names.add(name[len(start):-len(kind) - 1])
        return names

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        token = uuid.uuid4().hex
        self._acquire(token)
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(token, stop), daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join(timeout=5)
            with contextlib.suppress(Exception):  # an expired lock may already be someone else's
                if self._lock_owner() == token:
                    self._admin().delete_collection(self._lock_name)

    def _acquire(self, token: str) -> None:
        client = self._admin()
        for _ in range(2):
            try:
                client.create_collection(self._lock_name, metadata=_lock_meta(token))
            except StoreUnavailableError:
                raise
            except Exception:
                meta = self._lock_meta()
                if meta is not None and float(meta.get("expires", 0)) > time.time():
                    raise IndexBusyError(
                        f"Another ingest is already updating the index on {self.describe()}; "
                        "wait for it to finish and try again."
                    ) from None
                # The holder died without releasing it: take the expired lock over.
                with contextlib.suppress(Exception):
                    client.delete_collection(self._lock_name)
                continue
            if self._lock_owner() == token:
                return
        raise IndexBusyError(
            f"Another ingest took the index lock on {self.describe()} at the same moment; try again."
        )

    def _renew(self, token: str, stop: threading.Event) -> None:
        while not stop.wait(LOCK_TTL_SECONDS / 4):
            with contextlib.suppress(Exception):
                if self._lock_owner() != token:
                    return
                self._admin().get_collection(self._lock_name).modify(metadata=_lock_meta(token))

    def _lock_meta(self) -> dict | None:
        from chromadb.errors import NotFoundError

        try:
            return self._admin().get_collection(self._lock_name).metadata or {}
        except NotFoundError:
            return None

    def _lock_owner(self) -> str | None:
        meta = self._lock_meta()
        return None if meta is None else meta.get("owner")

    def _admin(self):
        return shared_client(self.url)


def _lock_meta(token: str) -> dict:
    return {"owner": token, "expires": time.time() + LOCK_TTL_SECONDS}


def _copy(source, target) -> None:
    """Copy every record, a page at a time, keeping the stored vectors (nothing is re-embedded)."""
    offset = 0
    while True:
        page = source.get(limit=_COPY_PAGE, offset=offset,
                          include=["embeddings", "documents", "metadatas"])
        if not page["ids"]:
            return
        target.add(ids=page["ids"], embeddings=page["embeddings"], documents=page["documents"],
                   metadatas=page["metadatas"])
        offset += len(page["ids"])


def parse_url(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) from `http://host:port`; a clear message for anything else."""
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"The Chroma server URL {url!r} should look like http://127.0.0.1:8000.")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    except ValueError:
        raise UsageError(f"The Chroma server URL {url!r} has an invalid port.") from None
    return parsed.hostname, port, parsed.scheme == "https"


def shared_client(url: str):
    """One HTTP client per server per process; it is thread-safe and reconnects by itself."""
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            import chromadb

            host, port, ssl = parse_url(url)
            client = _Guarded(
                _unavailable(url)(chromadb.HttpClient)(
                    host=host, port=port, ssl=ssl, settings=chroma_settings()
                ),
                url,
            )
            _clients[url] = client
        return client


def _unavailable(url: str):
    """Turn a lost connection into one sentence naming the server."""

    def wrap(call):
        @functools.wraps(call)
        def guarded(*args, **kwargs):
            import httpx

            try:
                return call(*args, **kwargs)
            except httpx.TransportError as exc:
                raise StoreUnavailableError(_message(url, exc)) from None
            except ValueError as exc:
                if "connect" not in str(exc).lower():
                    raise
                raise StoreUnavailableError(_message(url, exc)) from None

        return guarded

    return wrap


def _message(url: str, exc: Exception) -> str:
    return (f"Cannot reach the Chroma server at {url} ({exc.__class__.__name__}); check that it is "
            "running, or unset ASSISTANT_CHROMA_URL to use the local index.")


class _Guarded:
    """A client or collection whose calls report a lost server as `StoreUnavailableError`.

    Collections it returns are guarded too. `close()` does nothing: the client is shared by every
    generation and thread in the process.
    """

    def __init__(self, target: Any, url: str) -> None:
        self._target = target
        self._url = url

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value
        if name == "close":
            return lambda: None
        call = _unavailable(self._url)(value)

        def forward(*args, **kwargs):
            result = call(*args, **kwargs)
            if hasattr(result, "query") and hasattr(result, "modify"):  # a Collection
                return _Guarded(result, self._url)
            if isinstance(result, list) and result and hasattr(result[0], "modify"):
                return [_Guarded(r, self._url) for r in result]
            return result

        return forward
