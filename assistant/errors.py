"""Errors the assistant reports to a person as one clear sentence, never as a traceback."""


class AssistantError(Exception):
    """A problem to show the user. `exit_code` follows the CLI contract: 2 usage, 1 failure."""

    exit_code = 1


class UsageError(AssistantError):
    """The request itself cannot be served (blank question, no index yet, bad option)."""

    exit_code = 2


class NoIndexError(UsageError):
    """No index has been built at the configured place."""


class IndexMismatchError(AssistantError):
    """The index was built with another embedding model than the one configured."""


class IndexBusyError(AssistantError):
    """Another ingest holds the index's write lock."""


class DocumentError(AssistantError):
    """A document could not be read. The message names the file."""


class LimitError(DocumentError):
    """A document is over one of the size limits; `setting` names the setting that raises it."""

    def __init__(self, message: str, setting: str) -> None:
        super().__init__(message)
        self.setting = setting


class StoreUnavailableError(AssistantError):
    """The Chroma server named by `chroma_url` cannot be reached."""
