"""Guide text shown as Markdown must stay text: no links, HTML, images, maths or formatting from it.

A guide can contain anything (`<script>`, `[click](javascript:...)`, `$x$`, `:red[...]`), so every
piece of guide text passes through `escape_markdown` before the app or an export renders it. A
backslash before ASCII punctuation is always literal in CommonMark, so escaping is safe to overdo.
"""

from __future__ import annotations

import re
import string

# Characters that start inline Markdown anywhere in a line (links, images, HTML, emphasis, code,
# tables, strikethrough, maths, entities).
_INLINE = set("\\`*_[]<>&!|~$")
# Characters that only matter at the start of a line (headings, lists, quotes, rules).
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PUNCTUATION = set(string.punctuation)


def strip_control(text: str) -> str:
    """Remove control characters (they break Word files and are never meant to be seen)."""
    return _CONTROL.sub("", text)


def escape_markdown(text: str, streamlit: bool = True) -> str:
    """Make text render literally as Markdown.

    For the app (`streamlit=True`) every ASCII punctuation mark is escaped, which also covers
    Streamlit's own `:emoji:` and `:color[...]` syntax. Escaping character by character means
    pieces of a streamed answer can be escaped one at a time and joined. For Markdown files
    (`streamlit=False`) only active characters are escaped, so the file stays readable.
    """
    text = strip_control(text)
    if streamlit:
        return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in text)
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    escaped = "".join("\\" + ch if ch in _INLINE else ch for ch in "\n".join(lines))
    return _LINE_START.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), escaped)


def escape_answer(text: str) -> str:
    """An answer for the app: every character literal, as `escape_markdown` makes it, except that the
    composer's line structure survives. A line opening "- " stays a bullet of a list, consecutive
    bullets stay one list, and any other line is its own paragraph, so a sentence after a list is
    not run into its last item."""
    shown, after_bullet = "", False
    for line in strip_control(text).split("\n"):
        if not line.strip():
            continue
        bullet = line.startswith("- ")
        if shown:
            shown += "\n" if bullet and after_bullet else "\n\n"
        shown += "- " + escape_markdown(line[2:]) if bullet else escape_markdown(line)
        after_bullet = bullet
    return shown


def unescape_markdown(text: str) -> str:
    """The text `escape_markdown` was given (used by tests and when copying text out)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def _escape_marker(marker: str) -> str:
    return marker[:-1] + "\\" + marker[-1]
