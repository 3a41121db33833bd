"""A local, offline assistant that answers questions over a guide for councillors, with citations.

For library use: `from assistant import Assistant, Settings`; `Assistant(Settings.load()).ask(...)`
returns an `Answer`. LangChain users: `assistant.retrieve.langchain_retriever.GuideRetriever`.
"""

from typing import TYPE_CHECKING, Any

from assistant import offline as _offline

_offline.enforce()

__version__ = "0.1.0"
__all__ = ["Answer", "Assistant", "Settings"]

if TYPE_CHECKING:
    from assistant.answer.pipeline import Answer, Assistant
    from assistant.settings import Settings


def __getattr__(name: str) -> Any:
    # Resolved on first use, not at import: `import assistant` (which every module does) stays cheap,
    # and the offline environment above is set before any library loads.
    if name in ("Answer", "Assistant"):
        from assistant.answer import pipeline

        return getattr(pipeline, name)
    if name == "Settings":
        from assistant.settings import Settings

        return Settings
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
