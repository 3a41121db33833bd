"""Subcommands defined outside `assistant.cli.main` (eval, serve, brief), and the options they share with it.

Each registration takes argparse's subparsers object and adds one command whose
`run(args, settings) -> int` is set with `set_defaults(run=...)`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

Registration = Callable[[argparse._SubParsersAction], None]


def add_index_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, help="index folder (default: ./index or $ASSISTANT_INDEX)")


def registrations() -> list[Registration]:
    # Imported here, not at the top, so that those modules may import this one.
    from assistant.cli import brief, serve
    from assistant.evaluation import run as evaluation

    return [serve.register, evaluation.register, brief.register]
