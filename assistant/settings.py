"""One settings object, read once: defaults, then `ASSISTANT_*` environment variables, then CLI flags.

Every setting carries a line of help; the settings table in docs/settings.md is checked against
`SETTINGS_HELP` by a test, so a new setting cannot go undocumented.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from assistant.errors import UsageError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _home(name: str) -> Path:
    """Default folders live in the checkout when running from one, else beside the working dir."""
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / name
    return Path.cwd() / name


def _setting(default: Any, help: str) -> Any:
    if callable(default):
        return field(default_factory=default, metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    index: Path = _setting(lambda: _home("index"), "Folder holding the built Chroma index.")
    corpus: Path = _setting(lambda: _home("corpus"), "Folder `ingest` reads when given no paths.")
    model: str = _setting(
        "", "Local sentence-transformers model folder; empty means the bundled all-MiniLM-L6-v2."
    )
    chroma_url: str = _setting(
        "", "URL of a Chroma server (e.g. http://127.0.0.1:8000); empty means the embedded store."
    )
    top_k: int = _setting(10, "How many ranked sections retrieval returns; never fewer than 10.")
    refusal_threshold: float = _setting(
        0.0,
        "Evidence score below which the answer is 'the guide does not cover this'; "
        "0 means the bar each index fits from questions no guide answers.",
    )
    answer_words: int = _setting(150, "Longest answer, in words (a language model is asked for this too).")
    max_question_chars: int = _setting(4000, "Longest question accepted, in characters.")
    chunk_chars: int = _setting(900, "Largest chunk, in characters (the model reads ~1,000).")
    llm: str = _setting("none", "Answer generator: none (extractive), ollama or openai.")
    llm_model: str = _setting("", "Model name for the LLM server, e.g. llama3.2 or gpt-4o-mini.")
    llm_base_url: str = _setting("", "Base URL of the LLM server; empty uses the client default.")
    llm_api_key: str = field(  # kept out of repr, so a logged or displayed Settings cannot leak it
        default="", repr=False,
        metadata={"help": "API key for an OpenAI-compatible server, if it needs one."},
    )
    llm_timeout: float = _setting(60.0, "Seconds to wait for the LLM before falling back.")
    llm_context_tokens: int = _setting(3000, "Budget of excerpt tokens sent to the LLM.")
    max_upload_mb: int = _setting(50, "Largest document accepted from the web app, in MB.")
    max_file_mb: int = _setting(
        100, "Largest document `ingest` reads, in MB; a bigger file is skipped with a message."
    )
    max_document_chars: int = _setting(
        10_000_000, "Most characters of text one document may hold (about 1.6 million words), "
        "counted while it is read; a longer one is skipped with a message."
    )
    max_pdf_pages: int = _setting(2000, "Most pages a PDF may have; counted before any page is read.")
    max_unpacked_mb: int = _setting(
        150, "Largest unpacked size of a Word file's parts together, in MB, checked before any is parsed."
    )
    max_sections: int = _setting(20_000, "Most headings (sections) one document may have.")
    max_html_depth: int = _setting(256, "Deepest nesting of HTML elements read; checked before parsing.")
    data_dir: str = _setting(
        "", "Folder for the web app's conversations, feedback and uploaded documents; "
        "empty means a `data` folder beside the index."
    )

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Defaults, overridden by `ASSISTANT_<NAME>` variables, overridden by non-None kwargs."""
        values: dict[str, Any] = {}
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            raw = os.environ.get(env_name(f.name))
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, hints[f.name], raw)
        for name, value in overrides.items():
            if value is None:
                continue
            if name not in hints:
                raise TypeError(f"unknown setting {name!r}")
            values[name] = _convert(name, hints[name], value) if isinstance(value, str) else value
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def env_name(setting: str) -> str:
    return f"ASSISTANT_{setting.upper()}"


SETTINGS_HELP: dict[str, str] = {f.name: f.metadata["help"] for f in dataclasses.fields(Settings)}


def _convert(name: str, kind: Any, raw: str) -> Any:
    try:
        if kind is Path:
            return Path(raw).expanduser()
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        return raw
    except ValueError:
        raise UsageError(f"Setting {env_name(name)} must be a number, not {raw!r}.") from None


def settings_table() -> str:
    """The settings table of docs/settings.md, one row per setting, generated so the two cannot drift apart.

    Print it with `python -c "from assistant.settings import settings_table as t; print(t())"`.
    """
    rows = ["| name | environment variable | default | help |", "| --- | --- | --- | --- |"]
    for f in dataclasses.fields(Settings):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        help_text = f.metadata["help"].replace("|", "/")  # a pipe would split the table cell
        rows.append(f"| `{f.name}` | `{env_name(f.name)}` | {_shown(default)} | {help_text} |")
    return "\n".join(rows)


def _shown(default: Any) -> str:
    if isinstance(default, Path):
        inside = default.is_relative_to(PROJECT_ROOT)
        return f"`{default.relative_to(PROJECT_ROOT) if inside else default.name}/`"
    return f"`{default}`" if default != "" else "(empty)"
