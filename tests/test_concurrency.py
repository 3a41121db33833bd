"""Many people at once: one loaded Assistant shared by 20 threads; 10 browser sessions on one app."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.answer.pipeline import Assistant

# Question -> the section that must be cited first.
QUESTIONS = {
    "Who should lead digital change?": "1 Leadership",
    "What is open data?": "2.1 Open data",
    "What does a digital champion do in meetings?": "1.2 A digital champion among councillors",
    "How can residents without internet at home get help?": "3 Digital inclusion",
    "Who should the chief digital officer report to?": "1.1 A chief digital officer",
}
THREADS = 20


def _comparable(answer) -> dict:
    data = answer.to_json()
    data.pop("timings_ms")
    return data


def test_twenty_threads_asking_at_once_get_the_sequential_answers(mini_index, embedder):
    helper = Assistant(mini_index, embedder)
    expected = {q: _comparable(helper.ask(q)) for q in QUESTIONS}
    for question, title in QUESTIONS.items():
        assert expected[question]["citations"][0]["title"] == title, question

    questions = [list(QUESTIONS)[i % len(QUESTIONS)] for i in range(THREADS)]
    start = threading.Barrier(THREADS)

    def ask(question: str) -> dict:
        start.wait()  # all threads enter the chain together
        return _comparable(helper.ask(question))

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(ask, questions))
    for question, answer in zip(questions, answers):
        assert answer == expected[question], question


@pytest.mark.browser
def test_ten_browser_sessions_keep_their_own_conversations(mini_index, tmp_path):
    from browser_support import (
        CHAT_INPUT,
        ask_by_keyboard,
        launch_chromium,
        open_app,
        require_browser,
        start_app,
    )

    require_browser()
    sessions = 10
    questions = [list(QUESTIONS)[i % len(QUESTIONS)] for i in range(sessions)]
    with start_app(mini_index.index, tmp_path / "data", tmp_path / "logs") as app, \
            launch_chromium() as browser:
        pages = [open_app(browser, app.url) for _ in range(sessions)]
        # Every session sends its question before any answer is awaited, so the app serves them
        # all at once.
        for page, question in zip(pages, questions):
            page.locator(CHAT_INPUT).fill(question)
        for page in pages:
            page.locator(CHAT_INPUT).press("Enter")
        for page, question in zip(pages, questions):
            page.get_by_role("button", name="Helpful", exact=True).first.wait_for(timeout=240_000)
            messages = page.locator("[data-testid='stChatMessage']")
            assert messages.count() == 2, f"session asking {question!r} shows others' messages"
            assert question in messages.nth(0).inner_text()
            assert QUESTIONS[question] in messages.nth(1).inner_text()
        # A follow-up in one session does not appear in any other.
        pages[0].locator(CHAT_INPUT).focus()
        ask_by_keyboard(pages[0], "And what about data?", answers_before=1)
        assert pages[0].locator("[data-testid='stChatMessage']").count() == 4
        for page in pages[1:]:
            assert page.locator("[data-testid='stChatMessage']").count() == 2
            assert "And what about data?" not in page.content()
