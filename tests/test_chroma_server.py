"""The store on a real `chroma run` server (started here, on loopback), via `ASSISTANT_CHROMA_URL`."""

from __future__ import annotations

import shutil
import time

import pytest
from conftest import FIXTURES

from assistant.answer.pipeline import Assistant
from assistant.cli.main import main
from assistant.errors import IndexBusyError, StoreUnavailableError
from assistant.ingest.pipeline import ingest
from assistant.settings import Settings
from assistant.store.backend import COLLECTIONS
from assistant.store.chroma_process import ChromaServer
from assistant.store.generations import backend_for
from assistant.store.server import ServerBackend, shared_client

QUESTION = "Who should lead digital change?"


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    with ChromaServer(tmp_path_factory.mktemp("chroma") / "db") as server:
        yield server


@pytest.fixture
def server_settings(chroma_server, tmp_path, monkeypatch) -> Settings:
    """Settings pointing at the shared server, emptied first so each test starts clean."""
    client = shared_client(chroma_server.url)
    for collection in client.list_collections():
        client.delete_collection(collection.name)
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server.url)
    # The index folder must stay untouched: everything lives on the server.
    return Settings.load(index=tmp_path / "unused-index")


@pytest.fixture
def guide(tmp_path):
    path = tmp_path / "guide" / "mini-guide.md"
    path.parent.mkdir()
    shutil.copy(FIXTURES / "mini-guide.md", path)
    return path


def _collections(url: str) -> set[str]:
    return {c.name for c in shared_client(url).list_collections()}


def test_ingest_and_ask_match_the_embedded_store(server_settings, guide, mini_index, embedder):
    report = ingest([guide], server_settings, embedder)
    assert report.published and report.sections == 7
    assert not server_settings.index.exists()
    on_server = Assistant(server_settings, embedder).ask(QUESTION)
    local = Assistant(mini_index, embedder).ask(QUESTION)
    assert not on_server.refused
    assert on_server.answer == local.answer
    assert [c.section.path for c in on_server.citations] == [c.section.path for c in local.citations]
    assert [h.section.section_id for h in on_server.hits] == [h.section.section_id for h in local.hits]


def test_incremental_reingest_switches_the_pointer_and_keeps_one_old_generation(
    server_settings, guide, embedder, chroma_server
):
    backend = backend_for(server_settings)
    assert isinstance(backend, ServerBackend)
    ingest([guide.parent], server_settings, embedder)
    first = backend.current()
    again = ingest([guide.parent], server_settings, embedder)
    assert not again.published and again.embedded == 0 and backend.current() == first

    guide.write_text(guide.read_text() + "\n## 4 Cyber security\n\nPhishing drills train staff "
                     "to spot fake emails before they click.\n")
    changed = ingest([guide.parent], server_settings, embedder)
    second = backend.current()
    assert changed.published and second != first
    assert 0 < changed.embedded < changed.chunks  # only the new text went through the model
    third_report = ingest([guide.parent], server_settings, embedder, rebuild=True)
    third = backend.current()
    assert third_report.published and third not in (first, second)
    names = _collections(chroma_server.url)
    # The live generation and the one it replaced remain; the oldest is gone.
    for generation, present in ((third, True), (second, True), (first, False)):
        for kind in COLLECTIONS:
            assert (backend.collection_name(generation, kind) in names) is present
    answer = Assistant(server_settings, embedder).ask("How do staff learn to spot fake emails?")
    assert any("Cyber security" in c.section.title for c in answer.citations)


def test_two_app_instances_share_the_server_and_follow_a_new_generation(
    server_settings, guide, embedder
):
    ingest([guide.parent], server_settings, embedder)
    first, second = Assistant(server_settings, embedder), Assistant(server_settings, embedder)
    question = "What do phishing drills teach?"
    assert first.ask(QUESTION).answer == second.ask(QUESTION).answer
    assert not first.refresh()

    guide.write_text(guide.read_text() + "\n## 4 Cyber security\n\nPhishing drills teach staff "
                     "to spot fake emails before they click.\n")
    ingest([guide.parent], server_settings, embedder)
    # Until it refreshes, an instance keeps answering from the generation it loaded.
    stale = second.ask(question)
    assert all("Cyber" not in h.section.title for h in stale.hits)
    assert first.refresh() and second.refresh()
    for instance in (first, second):
        assert any("Cyber security" in c.section.title for c in instance.ask(question).citations)


def test_a_second_ingest_is_refused_while_the_lock_is_held(server_settings, guide, embedder):
    backend = backend_for(server_settings)
    with backend.lock():
        with pytest.raises(IndexBusyError, match="Another ingest"):
            ingest([guide], server_settings, embedder)
        assert backend.current() is None
    assert ingest([guide], server_settings, embedder).published


def test_an_expired_lock_from_a_dead_ingest_is_taken_over(server_settings, guide, embedder):
    backend = backend_for(server_settings)
    shared_client(server_settings.chroma_url).create_collection(
        "assistant-lock", metadata={"owner": "crashed-ingest", "expires": time.time() - 1}
    )
    assert ingest([guide], server_settings, embedder).published
    assert backend._lock_meta() is None  # released after use


def test_a_failed_ingest_leaves_no_collections_behind(server_settings, guide, embedder, chroma_server):
    ingest([guide], server_settings, embedder)
    before = _collections(chroma_server.url)

    def explode(done: int, total: int) -> None:
        raise RuntimeError("power cut")

    guide.write_text(guide.read_text() + "\n## 5 Extra\n\nSomething new to embed here.\n")
    with pytest.raises(RuntimeError):
        ingest([guide], server_settings, embedder, progress=explode)
    assert _collections(chroma_server.url) == before


def test_a_lost_server_gives_a_clear_message(tmp_path, guide, embedder, monkeypatch, capsys):
    server = ChromaServer(tmp_path / "doomed").start()
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", server.url)
    settings = Settings.load(index=tmp_path / "unused")
    ingest([guide], settings, embedder)
    assistant = Assistant(settings, embedder)
    assert not assistant.ask(QUESTION).refused
    server.process.kill()
    server.process.wait()
    # What the loaded index already holds still answers; anything it must read says so clearly.
    assert not assistant.ask(QUESTION).refused
    with pytest.raises(StoreUnavailableError, match="Cannot reach the Chroma server at http://127"):
        assistant.ask("What is open data?")
    with pytest.raises(StoreUnavailableError, match="Cannot reach the Chroma server at http://127"):
        assistant.refresh()
    assert main(["ask", QUESTION]) == 1
    err = capsys.readouterr().err
    assert "Cannot reach the Chroma server" in err and "Traceback" not in err
    assert main(["ingest", str(guide)]) == 1
    assert "Cannot reach the Chroma server" in capsys.readouterr().err


def test_the_server_listens_on_loopback_and_talks_to_no_one_else(server_settings, guide, embedder,
                                                                  chroma_server):
    import psutil

    ingest([guide], server_settings, embedder)
    Assistant(server_settings, embedder).ask(QUESTION)
    process = psutil.Process(chroma_server.process.pid)
    connections = [c for p in [process, *process.children(recursive=True)]
                   for c in p.net_connections(kind="inet")]
    listening = {c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN}
    remote = {c.raddr.ip for c in connections if c.raddr}
    assert listening == {"127.0.0.1"}
    assert remote <= {"127.0.0.1"}, f"the Chroma server is connected to {remote}"
