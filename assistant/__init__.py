"""A local, offline assistant that answers questions over a guide for councillors, with citations."""

from assistant import offline as _offline

_offline.enforce()

__version__ = "0.1.0"
