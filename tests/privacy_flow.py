"""The whole flow a council runs, as one script: ingest, ask, start the app, use it in a browser.

`test_privacy.py` runs this inside a network namespace with only loopback (`unshare -n`) and with
the network guard (tests/netguard) recording any outside connection attempt by any Python process.
It prints one JSON object describing what it saw; the test makes the judgements.

Usage: python tests/privacy_flow.py WORKDIR GUIDE
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psutil
from browser_support import ask_by_keyboard, launch_chromium, open_app, start_app

QUESTION = "What is open data?"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True,
                          timeout=600)


def listening(pid: int) -> list[str]:
    """Addresses the app's process tree listens on."""
    found = []
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        for conn in process.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                found.append(f"{conn.laddr.ip}:{conn.laddr.port}")
    return found


def put_without_xsrf_token(url: str) -> int:
    """An upload from another site (no XSRF token) must be refused."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{url}/_stcore/upload_file/some-session/some-file",
                                     data=b"x" * 1024, method="PUT")
    try:
        with opener.open(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def main(work: Path, guide: Path) -> dict:
    index = work / "index"
    seen: dict = {}
    ingest = run("ingest", "--index", str(index), str(guide))
    seen["ingest"] = {"code": ingest.returncode, "err": ingest.stderr[-500:]}
    ask = run("ask", "--index", str(index), "--json", QUESTION)
    seen["ask"] = {"code": ask.returncode, "err": ask.stderr[-500:],
                   "answer": json.loads(ask.stdout) if ask.returncode == 0 else None}
    with start_app(index, work / "data", work / "logs") as app:
        seen["listening"] = listening(app.process.pid)
        seen["app_cmdline"] = psutil.Process(app.process.pid).cmdline()
        seen["xsrf_put_status"] = put_without_xsrf_token(app.url)
        requests: list[str] = []
        with launch_chromium() as browser:
            page = open_app(browser, app.url)
            page.context.on("request", lambda r: requests.append(r.url))
            page.reload(wait_until="domcontentloaded")  # record every request of a full load
            page.wait_for_selector("textarea[data-testid='stChatInputTextArea']", timeout=240_000)
            page.locator("textarea[data-testid='stChatInputTextArea']").focus()
            ask_by_keyboard(page, QUESTION)
            seen["page_answer"] = page.locator("[data-testid='stChatMessage']").nth(1).inner_text()
            seen["browser_requests"] = sorted(set(requests))
    return seen


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
