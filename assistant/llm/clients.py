"""The optional language model: a LangChain chat model built from the settings.

`llm = none` (the default) never reaches this module, so the extractive path imports neither
`langchain-openai` nor `langchain-ollama`; they come with the `llm` extra (`pip install -e .[llm]`).
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from langchain_core.language_models import BaseChatModel

from assistant.errors import UsageError
from assistant.llm.deadline import EVENT_HOOKS
from assistant.llm.limits import reply_token_cap
from assistant.settings import Settings

PROVIDERS = ("none", "ollama", "openai")
DEFAULT_OLLAMA_MODEL = "llama3.2"
# Hosts that take only `max_completion_tokens` and refuse a request carrying both it and the older
# `max_tokens`; every other OpenAI-compatible server (llama.cpp, vLLM, LM Studio, TGI, Ollama's /v1)
# honours `max_tokens`, and llama-cpp-python's server honours nothing else.
_COMPLETION_TOKENS_HOSTS = ("api.openai.com", ".openai.azure.com", ".cognitiveservices.azure.com")
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
        num_predict=reply_token_cap(settings.answer_words),
        client_kwargs={"timeout": settings.llm_timeout},
        # The hooks let a deadline cut the request (assistant.llm.deadline); sync client only.
        sync_client_kwargs={"event_hooks": EVENT_HOOKS},
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
    cap = reply_token_cap(settings.answer_words)
    # langchain-openai sends `max_tokens=` as `max_completion_tokens`; other servers need `max_tokens`.
    limit = {"max_tokens": cap} if takes_completion_tokens(settings.llm_base_url) else {
        "extra_body": {"max_tokens": cap}}
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url or None,
        api_key=key,
        temperature=0,
        timeout=settings.llm_timeout,
        # One retry rides out a dropped connection; more would keep a councillor waiting.
        max_retries=1,
        http_client=_http_client(settings.llm_timeout),
        **limit,
    )


def takes_completion_tokens(base_url: str) -> bool:
    """Whether the server is OpenAI's or Azure's, which want `max_completion_tokens` alone."""
    host = urlparse(base_url).hostname or "" if base_url else "api.openai.com"
    return any(host == h.lstrip(".") or host.endswith(h) for h in _COMPLETION_TOKENS_HOSTS)


def _http_client(timeout: float):
    """The openai package's own HTTP client class, with the hooks a deadline needs."""
    try:
        import httpx2 as http  # what openai 3.x is built on
    except ImportError:  # older openai releases use httpx
        import httpx as http
    return http.Client(timeout=timeout, follow_redirects=True, event_hooks=EVENT_HOOKS)


def _missing(package: str) -> UsageError:
    return UsageError(
        f"The {package} package is not installed; run `bash scripts/setup.sh llm` "
        "(or `pip install -e .[llm]`) to use a language model."
    )
