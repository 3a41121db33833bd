"""Command-line options shared by several subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_index_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, help="index folder (default: ./index or $ASSISTANT_INDEX)")
