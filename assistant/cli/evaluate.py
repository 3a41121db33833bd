"""`assistant eval FILE.jsonl`: score retrieval and refusal on a question set (assistant.evaluation.run)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.cli.options import add_index_option
from assistant.evaluation.metrics import MRR_AT
from assistant.evaluation.run import evaluate, format_table
from assistant.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="score retrieval and refusal on a JSONL question set",
        description="Score the assistant on questions with known answers. "
        "Example: assistant eval tests/eval/dev.jsonl --json",
    )
    p.add_argument("file", type=Path, help='JSONL lines {"id", "question", "gold": [heading, ...], "kind"}')
    add_index_option(p)
    p.add_argument("--json", action="store_true", help="print {records, metrics} as one JSON object")
    p.add_argument("--k", type=int, default=MRR_AT, help="ranked sections kept per question (default 10)")
    p.set_defaults(run=_command)


def _command(args: argparse.Namespace, settings: Settings) -> int:
    result = evaluate(args.file, settings, args.k)
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(format_table(result["metrics"]))
    return 0
