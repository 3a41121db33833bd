"""Run a Chroma server on loopback as a child process (for tests, the load test, a one-machine trial).

Uses the `chroma` command installed with the chromadb package, so nothing else is needed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from assistant.errors import AssistantError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def chroma_command() -> str:
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        raise AssistantError("The `chroma` command is missing; install the project with scripts/setup.sh.")
    return found


class ChromaServer:
    """`chroma run --path PATH` on 127.0.0.1 and a free port; a context manager that stops it."""

    def __init__(self, path: Path, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.path = path
        self.host = host
        self.port = port or free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = path.parent / f"{path.name}-chroma.log"

    def start(self, timeout: float = 60.0) -> ChromaServer:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [chroma_command(), "run", "--path", str(self.path), "--host", self.host,
                 "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssistantError(f"The Chroma server stopped at start; see {self.log}.")
            if self.alive():
                return self
            time.sleep(0.2)
        self.stop()
        raise AssistantError(f"The Chroma server did not answer within {timeout:.0f} s; see {self.log}.")

    def alive(self) -> bool:
        try:
            # No proxy: the server is on loopback, and a proxy setting must not route it elsewhere.
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(f"{self.url}/api/v2/heartbeat", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
