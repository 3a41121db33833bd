"""Shared fixtures: the real model loaded once per session, real Chroma indexes in temp folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import assistant  # noqa: F401  (sets the offline and no-telemetry environment first)
from assistant.embed.model import Embedder
from assistant.ingest.pipeline import ingest
from assistant.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def cli_model(embedder):
    """In-process `assistant` commands reuse the session's model instead of loading their own."""
    from assistant.cli import main as cli

    saved = dict(cli.EMBEDDERS)
    cli.EMBEDDERS[""] = embedder
    yield
    cli.EMBEDDERS.clear()
    cli.EMBEDDERS.update(saved)


def make_settings(index: Path, **changes) -> Settings:
    return Settings.load(index=index, chroma_url="", **changes)


def index_one_guide(folder: Path, name: str, text: str, embedder: Embedder) -> Settings:
    """Write `text` as the guide file `name` in `folder`, ingest it, and return the index's settings."""
    guide = folder / name
    guide.write_text(text, encoding="utf-8")
    settings = make_settings(folder / "index")
    assert ingest([guide], settings, embedder).published
    return settings


@pytest.fixture(scope="session")
def mini_index(tmp_path_factory, embedder) -> Settings:
    """The small Markdown fixture guide, ingested once; tests must not write to it."""
    index = tmp_path_factory.mktemp("mini-index")
    settings = make_settings(index)
    ingest([FIXTURES / "mini-guide.md"], settings, embedder)
    return settings


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, embedder) -> Settings:
    """The shipped companion guide (corpus/), ingested once; tests must not write to it."""
    index = tmp_path_factory.mktemp("corpus-index")
    settings = make_settings(index)
    ingest([CORPUS], settings, embedder)
    return settings


@pytest.fixture
def fresh_copy(tmp_path, mini_index) -> Settings:
    """A private copy of the mini index that a test may change."""
    target = tmp_path / "index"
    shutil.copytree(mini_index.index, target)
    return mini_index.replace(index=target)


@pytest.fixture(scope="session")
def generated_guides(tmp_path_factory) -> dict[str, Path]:
    """One small guide per format (PDF, DOCX, HTML, text, Markdown), written by `tests/guides.py`."""
    from guides import write_all

    return write_all(tmp_path_factory.mktemp("generated-guides"))


@pytest.fixture(scope="session")
def formats_index(tmp_path_factory, embedder, generated_guides) -> Settings:
    """The five generated guides ingested together, once; tests must not write to it."""
    settings = make_settings(tmp_path_factory.mktemp("formats-index"))
    ingest(list(generated_guides.values()), settings, embedder)
    return settings
