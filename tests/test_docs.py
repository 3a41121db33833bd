"""The README stays a page for people: short, its two commands exactly as the scripts are named."""

from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
README = (PROJECT / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_at_most_250_lines():
    assert len(README.splitlines()) <= 250


def test_the_readme_gives_the_two_commands_and_they_exist():
    for script in ("scripts/start.sh", "scripts/test.sh"):
        assert f"bash {script}" in README
        assert (PROJECT / script).is_file()

