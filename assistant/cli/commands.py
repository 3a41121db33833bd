"""Subcommands defined outside `assistant.cli.main` (eval, serve, brief).

Each registration takes argparse's subparsers object and adds one command whose
`run(args, settings) -> int` is set with `set_defaults(run=...)`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from assistant.cli import brief, evaluate, serve

Registration = Callable[[argparse._SubParsersAction], None]


def registrations() -> list[Registration]:
    return [serve.register, evaluate.register, brief.register]
