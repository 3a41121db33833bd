"""A tiny OpenAI-compatible chat server on 127.0.0.1 for the tests: `langchain-openai` talks to it
over a real socket, with or without streaming (server-sent events ending in `data: [DONE]`). It
also answers Ollama's `/api/chat` (newline-delimited JSON), so `langchain-ollama` is exercised too.

Each request takes the next queued `Reply` (or the default one) and is recorded, so a test can read
back exactly what the assistant sent to the model.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    raw: str | None = None  # sent as-is instead of a well-formed reply (garbage)
    delay: float = 0.0  # seconds to wait before answering
    pieces: int = 4  # how many streamed chunks the text is split into
    piece_delay: float = 0.0  # seconds between streamed chunks


class StubOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.keys: list[str] = []  # the Authorization header of each request
        self.replies: deque[Reply] = deque()
        self.aborted = 0  # replies the client hung up on before they were fully sent
        self.default = Reply("The guide does not cover that. NOT_IN_GUIDE")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.root}/v1"

    def queue(self, *replies: Reply | str) -> None:
        self.replies.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def reset(self) -> None:
        self.requests.clear()
        self.keys.clear()
        self.replies.clear()
        self.aborted = 0

    def next_reply(self) -> Reply:
        return self.replies.popleft() if self.replies else self.default

    def __enter__(self) -> StubOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _split(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // max(pieces, 1)))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _handler(stub: StubOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep pytest output quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            stub.requests.append(body)
            stub.keys.append(self.headers.get("Authorization", ""))
            reply = stub.next_reply()
            try:
                time.sleep(reply.delay)
                self._respond(body, reply)
            except (BrokenPipeError, ConnectionResetError):
                stub.aborted += 1  # the client gave up waiting, as it should

        def _respond(self, body: dict, reply: Reply) -> None:
            if reply.status != 200 or reply.raw is not None:
                self._send(reply.status, "text/plain", (reply.raw or "Internal error").encode())
                return
            model = body.get("model", "stub")
            if self.path.startswith("/api/chat"):
                self._ollama(body, reply, model)
                return
            if not body.get("stream"):
                message = {"role": "assistant", "content": reply.text}
                payload = {
                    "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                self._send(200, "application/json", json.dumps(payload).encode())
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            deltas = [{"role": "assistant", "content": p} for p in _split(reply.text, reply.pieces)]
            for i, delta in enumerate([*deltas, {}]):
                chunk = {
                    "id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta,
                                 "finish_reason": None if i < len(deltas) else "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(reply.piece_delay)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _ollama(self, body: dict, reply: Reply, model: str) -> None:
            def line(content: str, done: bool) -> bytes:
                part = {"model": model, "created_at": "2026-01-01T00:00:00Z", "done": done,
                        "message": {"role": "assistant", "content": content}}
                if done:
                    part["done_reason"] = "stop"
                return (json.dumps(part) + "\n").encode()

            if body.get("stream") is False:
                self._send(200, "application/json", line(reply.text, True))
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.end_headers()
            for piece in _split(reply.text, reply.pieces):
                self.wfile.write(line(piece, False))
                self.wfile.flush()
                time.sleep(reply.piece_delay)
            self.wfile.write(line("", True))
            self.wfile.flush()

        def _send(self, status: int, kind: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
