"""The command line: `assistant ingest | ask | info | sections` (and more as they land).

Contract relied on by outside tools: `ask --json`, `info --json`, `sections` and `eval --json` keep
their field names; new fields may be added. Errors are one sentence on stderr; exit 2 for a usage
problem, 1 for a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.cli.commands import registrations
from assistant.cli.options import add_index_option
from assistant.errors import AssistantError
from assistant.ingest.documents import format_reference
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.embed.model import Embedder

def _embedding_option(parser: argparse.ArgumentParser) -> None:
    # Stored as the `model` setting; `--model` itself is left for the LLM's model name.
    parser.add_argument("--embedding-model", dest="model", help="local sentence-transformers model folder")


def _llm_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("language model (optional; see docs/llm.md)")
    group.add_argument("--llm", choices=["none", "ollama", "openai"],
                       help="answer with a language model (openai: any OpenAI-compatible server)")
    group.add_argument("--model", dest="llm_model", help="the language model's name, e.g. llama3.2")
    group.add_argument("--base-url", dest="llm_base_url", help="the model server's URL")
    group.add_argument("--api-key", dest="llm_api_key",
                       help="API key (prefer $ASSISTANT_LLM_API_KEY: flags show in process lists)")
    group.add_argument("--llm-timeout", dest="llm_timeout", type=float,
                       help="seconds to wait for the model before giving the quoted answer")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Ask questions of a councillors' guide, offline, with cited answers.",
        epilog='Example: assistant ingest && assistant ask "Who should lead digital change?"',
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="read guide documents into the index",
                       description="Read Markdown, text, PDF, Word and HTML files into the index. "
                       "Example: assistant ingest corpus/ extra/guide.pdf")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: corpus/)")
    add_index_option(p)
    p.add_argument("--rebuild", action="store_true", help="start a fresh index from these paths")
    _embedding_option(p)
    p.set_defaults(run=_ingest)

    p = sub.add_parser("ask", help="answer a question from the guide, with citations",
                       description='Example: assistant ask "What is open data?" --json')
    p.add_argument("question", help="the question, in plain words")
    add_index_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--previous", action="append", default=[], metavar="QUESTION",
                   help="an earlier question in the conversation (repeat, oldest first): the question "
                   'is answered as a follow-up to them, e.g. --previous "What is a digital board?"')
    _embedding_option(p)
    _llm_options(p)
    p.set_defaults(run=_ask)

    p = sub.add_parser("info", help="what the index holds", description="Example: assistant info --json")
    add_index_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_info)

    p = sub.add_parser("sections", help="the table of contents, indented by level",
                       description="Example: assistant sections")
    add_index_option(p)
    p.set_defaults(run=_sections)

    for extra in registrations():  # commands that live in their own modules
        extra(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        settings = Settings.load(**_overrides(args))
        return args.run(args, settings)
    except AssistantError as exc:
        print(f"assistant: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("assistant: interrupted; the index is unchanged.", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback in front of a councillor
        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        print(f"assistant: unexpected error: {exc.__class__.__name__}: {exc} "
              "(set ASSISTANT_DEBUG=1 to see details).", file=sys.stderr)
        return 1


def _overrides(args: argparse.Namespace) -> dict:
    from assistant.settings import SETTINGS_HELP

    return {name: getattr(args, name) for name in SETTINGS_HELP if getattr(args, name, None) is not None}


# Loaded models by folder ("" is the bundled one): `main` may run many times in one process (tests,
# scripts), and loading the model is the slowest part of a command.
EMBEDDERS: dict[str, Embedder] = {}


def loaded_embedder(settings: Settings) -> Embedder:
    """The embedding model named by the settings, loaded once per process."""
    from assistant.embed.model import Embedder

    key = str(Path(settings.model).expanduser().resolve()) if settings.model else ""
    if key not in EMBEDDERS:
        EMBEDDERS[key] = Embedder(settings.model)
    return EMBEDDERS[key]


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.embed.question_encoder import export_in_child
    from assistant.ingest.pipeline import ingest

    paths = args.paths or [settings.corpus]
    # First, while this process is small: lets `ask` start without torch (see question_encoder).
    export_in_child(settings)
    embedder = loaded_embedder(settings)
    with _progress_bar() as progress:
        report = ingest(paths, settings, embedder, rebuild=args.rebuild, progress=progress)
    for problem in report.problems:
        print(f"assistant: {problem}", file=sys.stderr)
    print(report.summary())
    return 1 if report.problems else 0


class _progress_bar:
    """A tqdm bar on a terminal; silent when output is piped or captured."""

    def __enter__(self):
        self.bar = None
        if not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        def update(done: int, total: int) -> None:
            if self.bar is None:
                self.bar = tqdm(total=total, desc="Embedding", unit="text", file=sys.stderr)
            self.bar.update(done - self.bar.n)

        return update

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.answer.pipeline import Assistant
    from assistant.retrieve.questions import clean_question
    from assistant.store.generations import open_generation

    for question in [*args.previous, args.question]:  # fail fast, before loading the model
        clean_question(question, settings.max_question_chars)
    if getattr(args, "llm_api_key", None):
        print("assistant: warning: --api-key can be seen by other users of this machine; "
              "prefer the ASSISTANT_LLM_API_KEY environment variable.", file=sys.stderr)
    open_generation(settings).close()  # no index yet: say so before loading the model
    from assistant.embed.question_encoder import question_encoder

    assistant = Assistant(settings, question_encoder(settings))
    history: list[tuple[str, str]] = []
    for earlier in args.previous:  # replay the conversation, as the app keeps it
        history.append((earlier, assistant.ask(earlier, history).answer))
    answer = assistant.ask(args.question, history)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    if answer.standalone_question:
        print(f"Searched as: {answer.standalone_question}\n")
    print(answer.answer)
    for note in answer.notes:
        print(f"\nNote: {note}")
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            print(f"  [{c.n}] {format_reference(c.section)}")
    return 0


def _info(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.store.catalogue import Catalogue

    catalogue = Catalogue.open(settings)
    data = catalogue.info()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for key, value in data.items():
            print(f"{key}: {value}")
    return 0


def _sections(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.store.catalogue import Catalogue

    for section in Catalogue.open(settings).table_of_contents():
        print("  " * (section.level - 1) + section.title)
    return 0
