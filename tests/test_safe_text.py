"""The app shows an answer's words literally but keeps its lists: checked by rendering the Markdown."""

from __future__ import annotations

from markdown_it import MarkdownIt

from assistant.workspace.safe_text import escape_answer, unescape_markdown

ANSWER = (
    "The market has several parts [1]:\n"
    "- Large suppliers that sell *big* systems [1].\n"
    "- Start-ups, young firms with `new` ideas [1].\n"
    "Councils buy most of their technology from suppliers [2]."
)


def _html(text: str) -> str:
    return MarkdownIt("commonmark").render(text)


def test_bullets_stay_one_list_and_the_next_sentence_is_its_own_paragraph():
    html = _html(escape_answer(ANSWER))
    assert html.count("<ul>") == 1 and html.count("<li>") == 2
    after_list = html.split("</ul>")[1]
    assert "<p>Councils buy most of their technology from suppliers [2].</p>" in after_list
    assert "<p>The market has several parts [1]:</p>" in html.split("<ul>")[0]


def test_every_word_stays_literal():
    html = _html(escape_answer(ANSWER))
    assert "<em>" not in html and "<code>" not in html and "*big*" in html and "`new`" in html
    assert unescape_markdown(escape_answer("Plain [1]. # Not a heading")) == "Plain [1]. # Not a heading"


def test_a_hyphen_inside_a_line_is_not_a_bullet():
    html = _html(escape_answer("Well-run councils - and their suppliers - share data [1]."))
    assert "<li>" not in html
