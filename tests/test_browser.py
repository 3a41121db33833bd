"""End to end in a real headless Chromium: keyboard question, citation, briefing download, axe-core,
and two browsers on one server that never see each other's conversations."""

from __future__ import annotations

import pytest
from browser_support import (
    CHAT_INPUT,
    ask_by_keyboard,
    axe_violations,
    describe,
    launch_chromium,
    open_app,
    require_browser,
    screenshot,
    start_app,
    wait_until_idle,
)
from docx import Document

from ui.owner import COOKIE

pytestmark = pytest.mark.browser

QUESTION = "Who should lead digital change in a council?"


@pytest.fixture(scope="module")
def app_url(corpus_index, tmp_path_factory):
    require_browser()
    data = tmp_path_factory.mktemp("browser-data")
    with start_app(corpus_index.index, data, data / "logs") as app:
        yield app.url


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as chromium:
        yield chromium


def tab_to(page, selector: str, presses: int = 80) -> None:
    """Press Tab until the element matching `selector` has focus: it is reachable by keyboard."""
    target = page.locator(selector)
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} could not be reached with the Tab key")


def test_question_citation_briefing_and_accessibility(app_url, browser, tmp_path):
    page = open_app(browser, app_url)
    assert page.get_by_text("nothing you type, read or upload leaves this machine").first.is_visible()
    assert page.get_by_role("button", name="Deploy").count() == 0  # developer chrome is hidden

    tab_to(page, CHAT_INPUT)
    ask_by_keyboard(page, QUESTION)
    answer = page.locator("[data-testid='stChatMessage']").nth(1)
    assert "[1]" in answer.inner_text()

    # Open the first citation from the keyboard and check its passage is shown.
    summary = answer.locator("[data-testid='stExpander'] summary").first
    summary.focus()
    page.keyboard.press("Enter")
    details = answer.get_by_text("The sentences the answer quotes are highlighted in bold.").first
    details.wait_for(state="visible", timeout=10_000)
    assert "council-of-the-future-companion.md" in summary.inner_text()

    page.get_by_role("button", name="Add to briefing").first.click()
    page.get_by_role("tab", name="Briefing (1 pinned)").wait_for(timeout=30_000)
    wait_until_idle(page)
    violations = axe_violations(page)
    shot = screenshot(page, "browser-chat-answer")

    page.get_by_role("tab", name="Briefing (1 pinned)").click()
    with page.expect_download(timeout=30_000) as download_info:
        page.get_by_role("button", name="Download as Word (.docx)").click()
    saved = tmp_path / "briefing.docx"
    download_info.value.save_as(saved)
    screenshot(page, "browser-briefing")

    paragraphs = [p.text for p in Document(str(saved)).paragraphs]
    assert paragraphs[0] == "Briefing note"
    assert paragraphs.index("Key points") < paragraphs.index(f"1. {QUESTION}")
    answer_text = paragraphs[paragraphs.index(f"1. {QUESTION}") + 1]
    assert "[1]" in answer_text
    references = paragraphs[paragraphs.index("References") + 1:]
    assert references[0].startswith("[1] ") and "council-of-the-future-companion.md" in references[0]
    assert references[-1].startswith("Source: ") and "gen-" not in references[-1]
    assert not violations, f"axe-core found serious problems (screenshot {shot}):\n{describe(violations)}"


def test_reload_keeps_the_conversation_and_sections_open_by_keyboard(app_url, browser):
    page = open_app(browser, app_url)
    tab_to(page, CHAT_INPUT)
    ask_by_keyboard(page, "What is open data?")
    address = page.url
    assert "c=" in address
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector(CHAT_INPUT, state="visible", timeout=60_000)
    page.get_by_text("What is open data?").first.wait_for(timeout=30_000)
    assert page.url == address
    assert page.locator("[data-testid='stChatMessage']").count() == 2

    # Find a section from the sidebar by keyboard and read it beside the conversation.
    page.get_by_label("Search the guide").focus()
    page.keyboard.type("glossary")
    page.keyboard.press("Enter")
    wait_until_idle(page)
    result = page.locator("[data-testid='stSidebar'] [class*='st-key-search-'] button").first
    result.wait_for(timeout=30_000)
    assert "Glossary" in result.inner_text()
    result.focus()
    page.keyboard.press("Enter")
    page.locator(".st-key-reader_close button").wait_for(timeout=30_000)
    wait_until_idle(page)
    assert "Glossary" in page.get_by_role("heading", level=3).last.inner_text()
    screenshot(page, "browser-reader")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_two_browsers_on_one_server_never_see_each_others_work(app_url, browser):
    mine = open_app(browser, app_url)
    mine.locator(CHAT_INPUT).focus()
    ask_by_keyboard(mine, "What does the guide say about opening up council data?")
    mine.get_by_role("button", name="Helpful", exact=True).first.click()
    wait_until_idle(mine)
    my_address = mine.url
    cookie = next(c for c in mine.context.cookies() if c["name"] == COOKIE)
    assert cookie["sameSite"] == "Strict" and len(cookie["value"]) == 32

    # The same browser, a new tab opened without the address: my conversation is listed as mine.
    again = mine.context.new_page()
    again.goto(app_url, wait_until="domcontentloaded")
    again.wait_for_selector(CHAT_INPUT, state="visible", timeout=120_000)
    wait_until_idle(again)
    sidebar = again.locator("[data-testid='stSidebar']")
    assert sidebar.get_by_text("Your past conversations").is_visible()
    assert sidebar.get_by_role("button", name="What does the guide say about opening up council data?",
                               exact=False).count() == 1
    assert "1 of your answers rated" in sidebar.inner_text()
    screenshot(again, "browser-privacy-own-browser")

    # A colleague's browser on the same server, even with my address pasted in, sees none of it.
    colleague = open_app(browser, my_address)
    wait_until_idle(colleague)
    assert colleague.locator("[data-testid='stChatMessage']").count() == 0
    assert "c=" in colleague.url and colleague.url != my_address
    other_side = colleague.locator("[data-testid='stSidebar']").inner_text()
    assert "opening up council data" not in other_side and "rated" not in other_side
    assert next(c for c in colleague.context.cookies() if c["name"] == COOKIE)["value"] != cookie["value"]

    # The guide does not cover it: one message, the closest sections to read, nothing to brief.
    colleague.locator(CHAT_INPUT).focus()
    ask_by_keyboard(colleague, "What is the best recipe for chocolate cake?")
    reply = colleague.locator("[data-testid='stChatMessage']").nth(1)
    assert reply.inner_text().count("does not") == 1
    assert reply.get_by_role("button", name="Add to briefing").count() == 0
    assert reply.get_by_role("button", name="Read:", exact=False).count() >= 1
    screenshot(colleague, "browser-privacy-colleague")
