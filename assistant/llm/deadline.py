"""Deadlines that end a model request, instead of waiting for the model to finish.

A model call runs in a worker thread; the caller waits on a queue until the next piece, the end,
or the deadline. At the deadline (or when the caller stops reading, as the app's Stop button does)
the call is cancelled: the sockets of its HTTP responses are shut down, so the worker's blocked
read fails at once and the server sees the client go, without the rest of the reply being read.
Closing LangChain's stream instead reads the response to its end (issue 16), which can take
minutes with a small model that never stops.

The HTTP clients find the call they serve through a thread-local set by the worker, so two
councillors' requests through one shared model never cancel each other.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
# How often a waiting caller wakes to give the app a chance to notice a Stop click.
TICK_SECONDS = 0.25


class DeadlinePassed(Exception):
    """The model was still working when the deadline passed; its request has been cut."""


class Cancelled(Exception):
    """Raised inside the worker when its call was cancelled before a new request went out."""


class Call:
    """One model call in flight: the sockets of its responses, and whether it was cancelled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.cancelled = False

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            if not self.cancelled:
                self._sockets.append(sock)
                return
        _shut(sock)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


_local = threading.local()


def _current() -> Call | None:
    return getattr(_local, "call", None)


def _on_request(request: Any) -> None:
    call = _current()
    if call is not None and call.cancelled:  # e.g. the client's retry after we cut the first try
        raise Cancelled("the model call was cancelled")


def _on_response(response: Any) -> None:
    call = _current()
    stream = getattr(response, "extensions", {}).get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if call is not None and isinstance(sock, socket.socket):
        call.add(sock)


# For httpx.Client / httpx2.Client(event_hooks=...): both call hooks with the request or response.
EVENT_HOOKS: dict[str, list[Callable[[Any], None]]] = {"request": [_on_request], "response": [_on_response]}


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv in the worker; close() would not


_END = object()


def within(produce: Callable[[], Iterable[T]], deadline: float, tick: T | None = None) -> Iterator[T]:
    """The items `produce()` gives, read in a worker thread, until it ends or `deadline` passes.

    Args:
        produce: makes the model call; runs entirely in the worker thread.
        deadline: a `time.monotonic()` value.
        tick: if given, yielded every TICK_SECONDS while waiting, so a caller that draws on screen
            between items (the app) can notice a Stop click; None waits silently.

    Raises:
        DeadlinePassed: the deadline passed first; the call's HTTP responses have been cut.
        Exception: whatever `produce` raised, unchanged.

    Closing this generator early (a Stop click) cancels the call the same way.
    """
    call = Call()
    items: queue.Queue = queue.Queue()

    def work() -> None:
        _local.call = call
        try:
            for item in produce():
                if call.cancelled:
                    return
                items.put((True, item))
            items.put((True, _END))
        except BaseException as exc:  # handed to the caller, who decides what it means
            items.put((False, exc))
        finally:
            _local.call = None

    threading.Thread(target=work, name="model-call", daemon=True).start()
    finished = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlinePassed()
            try:
                ok, item = items.get(timeout=min(left, TICK_SECONDS) if tick is not None else left)
            except queue.Empty:
                if tick is not None and time.monotonic() < deadline:
                    yield tick
                continue
            if not ok:
                finished = True
                raise item
            if item is _END:
                finished = True
                return
            yield item
    finally:
        if not finished:
            call.cancel()
