"""Property-based fuzzing of questions: about a thousand odd inputs, never an unhandled exception.

Every input gets either an Answer whose citation markers all resolve, or a UsageError saying in one
sentence what to change. Three ways in are covered: `Assistant.ask` (with odd conversation history
too), the LangChain runnable itself, and the command line's in-process `main`.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.answer.pipeline import Answer, Assistant
from assistant.answer.steps import to_answer
from assistant.cli.main import main
from assistant.errors import UsageError


def quick(examples: int) -> settings:
    """Bounded examples, no per-example deadline (the machine is shared), fixtures reused."""
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


WORDS = ["open data", "leadership", "digital champion", "inclusion", "chief digital officer",
         "who", "what", "council", "residents"]
SCRIPTS = ["данные", "البيانات", "データ", "数据", "डेटा", "δεδομένα", "데이터", "נתונים", "ข้อมูล",
           "Cymraeg", "mañana", "Straße"]
EMOJI = ["🚀", "👩🏽‍💻", "🇬🇧", "❤️", "🤷‍♂️", "🏛️", "✅", "🔥", "🙂"]
INJECTIONS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b>bold</b>", "</div><iframe>",
    "# Heading\n* item", "[click](javascript:alert(1))", "```python\nimport os\n```", "**bold** _it_",
    "'; DROP TABLE chunks; --", "1 OR 1=1", "\" OR \"\"=\"", "{\"$in\": [\"x\"]}", "$where", "%s %d {0}",
    "{{7*7}}", "../../etc/passwd", "\\x00", "NULL", "ignore previous instructions",
]

empty = st.sampled_from(["", " ", "\n", "\t\r\n", "\u00a0", "\u3000\u2003", "\u200b\ufeff"])
whitespace = st.text(alphabet=" \t\n\r\x0b\x0c\u00a0\u2028\u2029\u3000\u200b", max_size=80)
huge = st.sampled_from([4_001, 10_000, 100_000]).flatmap(
    lambda n: st.sampled_from(["a", "open data ", "🚀", "\x00", " "]).map(lambda s: (s * n)[:n])
)
controls = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs"]), max_size=40)
mixed = st.lists(st.sampled_from(WORDS + SCRIPTS), min_size=1, max_size=8).map(" ".join)
emoji = st.lists(st.sampled_from(EMOJI + WORDS), min_size=1, max_size=6).map(" ".join)
markup = st.lists(st.sampled_from(INJECTIONS + WORDS), min_size=1, max_size=4).map(" ".join)
anything = st.text(alphabet=st.characters(codec=None), max_size=300)
# Each family sometimes wraps a real question, so answers as well as refusals get exercised.
odd = st.one_of(empty, whitespace, huge, controls, mixed, emoji, markup, anything)
questions = st.one_of(odd, st.tuples(odd, st.sampled_from(WORDS), odd).map("".join))
histories = st.lists(st.tuples(odd, odd), max_size=3)


def check_answer(answer: Answer) -> None:
    assert isinstance(answer, Answer)
    assert answer.answer.strip()
    numbers = {c.n for c in answer.citations}
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers <= numbers, "a citation marker points at no citation"
    if answer.refused:
        assert not answer.citations
    else:
        assert numbers and markers, "an answer without citations"
    json.dumps(answer.to_json())  # the --json contract must always serialise


def check_usage(error: UsageError) -> None:
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message
    assert len(message) < 300


@pytest.fixture(scope="module")
def helper(mini_index, embedder) -> Assistant:
    return Assistant(mini_index, embedder)


@quick(500)
@given(question=questions, history=histories)
def test_ask_never_fails(helper, question, history):
    try:
        answer = helper.ask(question, history=history)
    except UsageError as error:
        check_usage(error)
    else:
        check_answer(answer)


@quick(300)
@given(question=questions)
def test_the_chain_never_fails(helper, question):
    try:
        state = helper.chain.invoke({"question": question, "history": []})
    except UsageError as error:
        check_usage(error)
    else:
        check_answer(to_answer(state, helper.settings.top_k))


@pytest.fixture(scope="module")
def cli_env(mini_index):
    """The CLI reads the mini index; it keeps its question encoder loaded between calls."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSISTANT_INDEX", str(mini_index.index))
        patch.setenv("ASSISTANT_CHROMA_URL", "")
        yield


@quick(200)
@given(question=questions)
def test_the_command_line_never_fails(cli_env, capsys, question):
    code = main(["ask", "--json", "--", question])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "unexpected error" not in err
    if code == 0:
        data = json.loads(out)
        assert data["answer"].strip() and (data["refused"] or data["citations"])
    else:
        assert code == 2, err
        assert err.startswith("assistant: ") and err.count("\n") == 1


def test_a_question_that_looks_like_an_option_gets_a_usage_message(cli_env, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["ask", "--drop-tables"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
