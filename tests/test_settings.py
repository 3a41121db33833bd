"""Settings: defaults < `ASSISTANT_*` environment < command-line flags, and the documentation lists them
all (README.md and docs/ pages together)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import PROJECT

from assistant.cli import main as cli
from assistant.errors import UsageError
from assistant.settings import SETTINGS_HELP, Settings, env_name, settings_table


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in SETTINGS_HELP:
        monkeypatch.delenv(env_name(name), raising=False)


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    default = Settings.load()
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")
    monkeypatch.setenv("ASSISTANT_REFUSAL_THRESHOLD", "0.42")
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("ASSISTANT_LLM", "ollama")
    monkeypatch.setenv("ASSISTANT_MODEL", "")  # empty means "not set", not "empty string"
    settings = Settings.load()
    assert (settings.top_k, settings.refusal_threshold, settings.llm) == (7, 0.42, "ollama")
    assert settings.index == tmp_path / "elsewhere" and isinstance(settings.index, Path)
    assert settings.model == default.model and settings.answer_words == default.answer_words


def test_keyword_overrides_beat_the_environment(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")
    assert Settings.load(top_k=12).top_k == 12
    assert Settings.load(top_k="13").top_k == 13  # strings from flags are converted like env values
    assert Settings.load(top_k=None).top_k == 7  # a flag not given leaves the environment's value


def test_command_line_flag_overrides_the_environment(monkeypatch, capsys, tmp_path, mini_index):
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "no-index-here"))
    assert cli.main(["info", "--json"]) == 2
    assert "no-index-here" in capsys.readouterr().err
    assert cli.main(["info", "--json", "--index", str(mini_index.index)]) == 0
    assert '"sections": ' in capsys.readouterr().out


def test_flags_map_onto_settings():
    parser = cli.build_parser()
    args = parser.parse_args(["ask", "q", "--index", "/tmp/x", "--embedding-model", "/models/m"])
    settings = Settings.load(**cli._overrides(args))
    assert settings.index == Path("/tmp/x") and settings.model == "/models/m"


@pytest.mark.parametrize(("name", "raw"), [("ASSISTANT_TOP_K", "ten"), ("ASSISTANT_LLM_TIMEOUT", "1 minute"),
                                           ("ASSISTANT_ANSWER_WORDS", "1.5")])
def test_a_bad_number_is_a_usage_error_naming_the_variable(monkeypatch, name, raw):
    monkeypatch.setenv(name, raw)
    with pytest.raises(UsageError, match=rf"^Setting {name} must be a number, not '{re.escape(raw)}'\.$"):
        Settings.load()


def test_an_unknown_setting_is_a_programming_error():
    with pytest.raises(TypeError, match="unknown setting"):
        Settings.load(colour="blue")


def test_every_setting_has_help():
    assert all(len(text.split()) >= 3 and text.endswith(".") for text in SETTINGS_HELP.values())


def _documented_rows() -> list[str]:
    """Settings-table rows from the `## Settings` sections of README.md and of every docs/*.md page,
    so each part of the documentation can list the settings it explains."""
    pages = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
    rows: list[str] = []
    for page in (p for p in pages if p.exists()):
        text = page.read_text(encoding="utf-8")
        for section in re.finditer(r"^## Settings[^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S):
            rows += [line for line in section.group(1).splitlines() if line.startswith("| `")]
    return rows


def test_the_documentation_lists_every_setting():
    name = re.compile(r"\| `(\w+)` \|")
    generated = {name.match(row).group(1): row for row in settings_table().splitlines()[2:]}
    documented = {name.match(row).group(1): row for row in _documented_rows() if name.match(row)}
    missing = sorted(set(generated) - set(documented))
    assert not missing, f"no settings table in README.md or docs/ lists {missing}"
    regenerate = 'python -c "from assistant.settings import settings_table as t; print(t())"'
    stale = sorted(n for n, row in documented.items() if generated.get(n) != row)
    assert not stale, f"the documented rows for {stale} are stale: {regenerate}"
