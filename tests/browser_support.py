"""Reusable pieces for tests that drive the real app in a real browser (Debian's Chromium).

`start_app` runs `assistant serve` on a free loopback port against a given index and waits for
Streamlit's health check; `launch_chromium` starts headless Chromium through Playwright's Python
API (never a downloaded browser) with every outside host name made unresolvable; `open_app` loads
the page and waits until the chat box is ready. `axe_violations` runs axe-core in the page.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT / "artifacts"
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
FIRST_LOAD_MS = 240_000  # the first page load also loads the embedding model on a busy machine
CHAT_INPUT = "textarea[data-testid='stChatInputTextArea']"
# Streamlit marks its root with the script's state, and elements left from the last run as stale.
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-stale="true"]');
}"""


@dataclass
class RunningApp:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_browser() -> None:
    """Fail with a clear reason when Chromium or axe-core is missing (scripts/test.sh installs both)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does this).")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run npm install (scripts/test.sh does this).")


@contextmanager
def start_app(index: Path, data_dir: Path, log_dir: Path, env: dict[str, str] | None = None,
              timeout: float = 120) -> Iterator[RunningApp]:
    """Run `assistant serve` for `index` on a free port; yield once the server answers its health check."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"serve-{port}.log"
    command = [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--index", str(index),
               "--data-dir", str(data_dir)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT,
                                   env={**os.environ, **(env or {})})
    app = RunningApp(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_healthy(app, timeout)
        yield app
    finally:
        app.stop()


def _wait_healthy(app: RunningApp, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"assistant serve exited early:\n{app.log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(app.url + "/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"assistant serve did not become healthy in {timeout} s")


@contextmanager
def launch_chromium() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright; yields the Browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_app(browser, url: str, **context_options):
    """A new browser context and page on the app, waiting until the chat box can be typed in."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900},
                                  **context_options)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(CHAT_INPUT, state="visible", timeout=FIRST_LOAD_MS)
    return page


def wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit has finished running the script for the last interaction."""
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)


def ask_by_keyboard(page, question: str, answers_before: int = 0, timeout_ms: int = 180_000) -> None:
    """Type a question into the focused chat box, press Enter, and wait until its answer is complete
    (its feedback buttons appear once the answer and its sources are on the page)."""
    page.keyboard.type(question)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Helpful", exact=True).nth(answers_before).wait_for(timeout=timeout_ms)
    wait_until_idle(page)


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core in the page; the violations with the given impacts, briefly described."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v.get("impact") in impacts
    ]


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=2)
