"""Output safety: a guide carrying `<script>`, raw HTML and `javascript:` links is shown as inert text.

A plain-text guide keeps every character, so the hostile strings reach the index, the answer, the
citation passages and the briefing exports verbatim. In a real Chromium no script may run (each
payload would set `window.__pwned` or the page title, or open a dialog), no `javascript:` link may
exist in the page, and the downloaded Markdown and Word briefings must contain no live link or HTML.
"""

from __future__ import annotations

import zipfile

import pytest
from browser_support import (
    CHAT_INPUT,
    ask_by_keyboard,
    launch_chromium,
    open_app,
    require_browser,
    screenshot,
    start_app,
    wait_until_idle,
)
from conftest import index_one_guide

pytestmark = pytest.mark.browser

HOSTILE = "\n\n".join([
    "Hostile Guide",
    "1. Open data",
    'Councils publish open data every month <script>window.__pwned = 1; document.title = "pwned";'
    "</script> so residents can reuse it.",
    'Open data must be checked before release <img src=x onerror="window.__pwned = 2"> by the data '
    "protection officer.",
    "Read [the open data rules](javascript:window.__pwned=3) before any open data is published.",
    'An open data portal should never embed <a href="javascript:window.__pwned=4">untrusted links</a>'
    ' or <iframe src="javascript:window.__pwned=5"></iframe> frames.',
    "2. Leadership",
    "A senior leader owns the digital plan and reports to the chief executive.",
]) + "\n"
QUESTION = "How often do councils publish open data and what must be checked?"
PAYLOAD_MARKERS = ("__pwned", "javascript:")


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory, embedder):
    return index_one_guide(tmp_path_factory.mktemp("hostile"), "hostile-guide.txt", HOSTILE, embedder)


def _assert_inert(page) -> None:
    state = page.evaluate("""() => ({
        pwned: window.__pwned ?? null,
        title: document.title,
        jsLinks: [...document.querySelectorAll('[href],[src],[action],[formaction]')]
            .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action')
                      || e.getAttribute('formaction') || '')
            .filter(v => v.replace(/\\s/g, '').toLowerCase().startsWith('javascript:')),
        scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length,
        handlers: [...document.querySelectorAll('[onerror],[onload],[onclick]')].length,
        frames: document.querySelectorAll('iframe[src^="javascript"], img[src="x"]').length,
    })""")
    assert state["pwned"] is None, state
    assert state["title"] != "pwned", state
    assert state == {**state, "jsLinks": [], "scripts": 0, "handlers": 0, "frames": 0}, state


def test_hostile_guide_text_is_inert_in_the_app_and_the_exports(hostile_index, tmp_path):
    require_browser()
    dialogs: list[str] = []
    with start_app(hostile_index.index, tmp_path / "data", tmp_path / "logs") as app, \
            launch_chromium() as browser:
        page = open_app(browser, app.url)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.locator(CHAT_INPUT).focus()
        ask_by_keyboard(page, QUESTION)
        answer = page.locator("[data-testid='stChatMessage']").nth(1)
        # The hostile sentences are quoted, as text, in the answer.
        assert "<script>" in answer.inner_text() or "<img" in answer.inner_text()

        for summary in answer.locator("[data-testid='stExpander'] summary").all():
            summary.click()
        wait_until_idle(page)
        for toggle in answer.get_by_text("Read the whole section").all():
            toggle.click()
            wait_until_idle(page)
        shown = answer.inner_text()
        assert "javascript:window.__pwned=3" in shown  # the link is visible text, not a link
        _assert_inert(page)

        page.get_by_role("button", name="Add to briefing").first.click()
        page.get_by_role("tab", name="Briefing (1 pinned)").wait_for(timeout=60_000)
        wait_until_idle(page)
        page.get_by_role("tab", name="Briefing (1 pinned)").click()
        files = {}
        for label, suffix in (("Download as Markdown (.md)", "md"), ("Download as Word (.docx)", "docx")):
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name=label).click()
            files[suffix] = tmp_path / f"briefing.{suffix}"
            download.value.save_as(files[suffix])
        _assert_inert(page)
        screenshot(page, "output-safety")
    assert dialogs == []
    _assert_markdown_inert(files["md"].read_text(encoding="utf-8"))
    _assert_docx_inert(files["docx"])


def _assert_markdown_inert(text: str) -> None:
    """Rendered by a CommonMark renderer with raw HTML allowed, the export yields no live content."""
    from markdown_it import MarkdownIt

    assert "pwned" in text  # the hostile text is there, as (escaped) text
    html = MarkdownIt("commonmark", {"html": True}).render(text)
    for live in ("<script", "<img", "<iframe", 'href="javascript:', "<a href"):
        assert live not in html.lower(), f"{live} is live in the Markdown export"


def _assert_docx_inert(path) -> None:
    with zipfile.ZipFile(path) as archive:
        document = archive.read("word/document.xml").decode("utf-8")
        relations = "".join(archive.read(n).decode("utf-8") for n in archive.namelist()
                            if n.endswith(".rels"))
    assert "__pwned" in document  # the text is there
    assert "<w:hyperlink" not in document
    assert "javascript:" not in relations.lower()
    assert "<w:instrText" not in document  # no HYPERLINK field codes either
