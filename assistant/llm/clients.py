"""The optional language model: a LangChain chat model built from the settings.

`llm = none` (the default) never reaches this module, so the extractive path imports neither
`langchain-openai` nor `langchain-ollama`; they come with the `llm` extra (`pip install -e .[llm]`).
"""

from __future__ import annotations

import os

from langchain_core.language_models import BaseChatModel

from assistant.errors import UsageError
from assistant.settings import Settings

PROVIDERS = ("none", "ollama", "openai")
DEFAULT_OLLAMA_MODEL = "llama3.2"
# A cap on the reply, in model tokens: a 150-word answer with markers fits easily, and a model
# that rambles stops before it keeps a councillor waiting.
MAX_REPLY_TOKENS = 512
# Local servers ignore the key, but the OpenAI client refuses to start without one.
_PLACEHOLDER_KEY = "not-needed"


def model_name(settings: Settings) -> str:
    """The model the settings ask for, with Ollama's small default filled in."""
    if settings.llm == "ollama":
        return settings.llm_model or DEFAULT_OLLAMA_MODEL
    return settings.llm_model


def chat_model(settings: Settings) -> BaseChatModel:
    """A chat model for `settings.llm`; no network traffic happens until it is first called.

    Raises:
        UsageError: an unknown provider, a missing model name or the `llm` extra not installed.
    """
    if settings.llm not in PROVIDERS or settings.llm == "none":
        raise UsageError(
            f"The llm setting must be one of {', '.join(PROVIDERS[1:])} to use a language model, "
            f"not {settings.llm!r}."
        )
    if settings.llm_timeout <= 0:
        raise UsageError("The llm_timeout setting must be a positive number of seconds.")
    if settings.llm == "ollama":
        return _ollama(settings)
    return _openai(settings)


def _ollama(settings: Settings) -> BaseChatModel:
    try:
        from langchain_ollama import ChatOllama
    except ImportError:
        raise _missing("langchain-ollama") from None
    return ChatOllama(
        model=model_name(settings),
        base_url=settings.llm_base_url or None,
        temperature=0,
        num_predict=MAX_REPLY_TOKENS,
        client_kwargs={"timeout": settings.llm_timeout},
    )


def _openai(settings: Settings) -> BaseChatModel:
    if not settings.llm_model:
        raise UsageError(
            "Please name the model for the OpenAI-compatible server "
            "(--model NAME or ASSISTANT_LLM_MODEL)."
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise _missing("langchain-openai") from None
    key = settings.llm_api_key or os.environ.get("OPENAI_API_KEY") or _PLACEHOLDER_KEY
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url or None,
        api_key=key,
        temperature=0,
        max_tokens=MAX_REPLY_TOKENS,
        timeout=settings.llm_timeout,
        # One retry rides out a dropped connection; more would keep a councillor waiting.
        max_retries=1,
    )


def _missing(package: str) -> UsageError:
    return UsageError(
        f"The {package} package is not installed; run `bash scripts/setup.sh llm` "
        "(or `pip install -e .[llm]`) to use a language model."
    )
