"""Privacy: the whole flow works with no network at all, and nothing even tries to reach out.

`tests/privacy_flow.py` ingests, asks on the command line, starts the app and uses it in Chromium.
Here it runs inside a new network namespace that has only loopback (`unshare -n`), so nothing can
leave; and every Python process in it carries the network guard (tests/netguard/sitecustomize.py),
which records any attempt to resolve or reach a non-loopback address, so a silent, failing
telemetry call would still be caught. Where namespaces are not permitted (an unprivileged CI
runner), the guard alone still catches every attempt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_support import require_browser

from assistant.settings import Settings

pytestmark = pytest.mark.browser

TESTS = Path(__file__).parent
FLOW = TESTS / "privacy_flow.py"
GUARD = TESTS / "netguard"
GUIDE = TESTS / "fixtures" / "mini-guide.md"
PROXIES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def network_namespace_works() -> bool:
    try:
        probe = ["unshare", "-n", "sh", "-c", "ip link set lo up"]  # needs root (or user namespaces)
        return subprocess.run(probe, capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    require_browser()
    work = tmp_path_factory.mktemp("privacy")
    hf_home = work / "hf-home"
    hf_home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in PROXIES and not k.startswith("ASSISTANT_")}
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(GUARD), env.get("PYTHONPATH")])),
        "NETGUARD_LOG": str(work / "network-attempts.log"),
        "HF_HOME": str(hf_home),  # an empty cache: a download would leave files here
        "XDG_CACHE_HOME": str(work / "cache"),  # the question encoder's export stays in the test
    })
    command = [sys.executable, str(FLOW), str(work), str(GUIDE)]
    isolated = network_namespace_works()
    if isolated:
        command = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-4000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    log = work / "network-attempts.log"
    seen["attempts"] = log.read_text() if log.exists() else ""
    seen["hf_files"] = [str(p) for p in hf_home.rglob("*") if p.is_file()]
    seen["isolated"] = isolated
    return seen


def test_the_flow_works_without_a_network(flow):
    assert flow["ingest"]["code"] == 0, flow["ingest"]["err"]
    assert flow["ask"]["code"] == 0, flow["ask"]["err"]
    answer = flow["ask"]["answer"]
    assert not answer["refused"] and answer["citations"][0]["title"] == "2.1 Open data"
    assert "[1]" in flow["page_answer"] and "Open data is information" in flow["page_answer"]


def test_nothing_tried_to_reach_outside(flow):
    if not flow["isolated"]:
        print("network namespaces unavailable: relying on the network guard alone")
    assert flow["attempts"] == "", f"outside network attempts:\n{flow['attempts']}"
    assert flow["hf_files"] == [], "something was downloaded or cached by Hugging Face"
    outside = [u for u in flow["browser_requests"]
               if not u.startswith(("data:", "blob:"))
               and urlparse(u).hostname not in ("127.0.0.1", "localhost")]
    assert flow["browser_requests"] and not outside, outside


def test_the_app_listens_on_loopback_with_xsrf_on_and_uploads_capped(flow):
    assert flow["listening"] and all(a.startswith("127.0.0.1:") for a in flow["listening"])
    cmdline = flow["app_cmdline"]
    option = {cmdline[i]: cmdline[i + 1] for i in range(len(cmdline) - 1) if cmdline[i].startswith("--")}
    assert option["--server.enableXsrfProtection"] == "true"
    assert option["--server.maxUploadSize"] == str(Settings().max_upload_mb)
    assert option["--browser.gatherUsageStats"] == "false"
    assert flow["xsrf_put_status"] == 403  # an upload without the page's XSRF token is refused
