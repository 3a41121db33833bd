"""Registry of subcommands defined outside `assistant.cli` (eval, serve, ...).

Each entry is a function taking argparse's subparsers object and adding one command whose
`run(args, settings) -> int` is set with `set_defaults(run=...)`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

REGISTER: list[Callable[[argparse._SubParsersAction], None]] = []

from assistant import serve  # noqa: E402

REGISTER.append(serve.register)

from assistant import evaluation  # noqa: E402

REGISTER.append(evaluation.register)
