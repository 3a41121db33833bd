"""`assistant brief "Q1" "Q2" … --out note.docx`: the app's briefing note, built without the app.

The questions are asked in order, as one conversation (a later question may follow up an earlier
one), and every answer goes into the note, merged and numbered exactly as the app's briefing tab
does it. Everything is checked before the model loads, and the file is written all or nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from assistant.cli.options import add_index_option
from assistant.errors import UsageError
from assistant.settings import Settings

FORMATS = (".docx", ".md")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "brief", help="write a briefing note answering some questions (Word or Markdown)",
        description='Answer each question from the guide and write one briefing note. Example: '
        'assistant brief "Who should lead digital change?" "What is open data?" --out note.docx',
    )
    p.add_argument("questions", nargs="*", help="the questions, in the order they were asked")
    p.add_argument("--out", type=Path, help="the note to write: a .docx or .md file")
    p.add_argument("--title", default="", help="the note's title (default: Briefing note)")
    p.add_argument("--purpose", default="", help="one line saying what the note is for")
    p.add_argument("--notes", default="", help="the officer's own notes, printed after the answers")
    add_index_option(p)
    p.set_defaults(run=run)


def check_request(questions: list[str], out: Path | None, settings: Settings) -> list[str]:
    """The cleaned questions; a UsageError (one sentence) for anything that cannot make a note."""
    from assistant.retrieve.questions import clean_question

    if not questions:
        raise UsageError('Give at least one question, e.g. assistant brief "What is open data?" '
                         '--out note.docx.')
    if out is None:
        raise UsageError("Say where to write the note with --out, e.g. --out note.docx.")
    if out.suffix.lower() not in FORMATS:
        raise UsageError(f"The note must be a .docx or .md file, not {out.name}.")
    if not out.parent.is_dir():
        raise UsageError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    if out.is_dir():
        raise UsageError(f"Cannot write {out}: it is a folder.")
    cleaned = []
    for number, question in enumerate(questions, 1):
        try:
            cleaned.append(clean_question(question, settings.max_question_chars))
        except UsageError as exc:
            raise UsageError(f"Question {number}: {exc}") from None
    return cleaned


def run(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.answer.pipeline import Assistant
    from assistant.embed.question_encoder import question_encoder
    from assistant.store.generations import open_generation
    from assistant.workspace.briefing import build_briefing, guide_titles, source_line
    from assistant.workspace.briefing_export import save
    from assistant.workspace.conversations import Turn

    questions = check_request(args.questions, args.out, settings)
    open_generation(settings).close()  # no index yet: say so before loading the model
    assistant = Assistant(settings, question_encoder(settings))
    turns: list[Turn] = []
    for number, question in enumerate(questions, 1):
        history = [(t.question, t.answer_text) for t in turns]
        answer = assistant.ask(question, history)
        turns.append(Turn(number, "", number, answer.question, answer.to_json(), _now()))
    sections = list(assistant.index.sections.values())
    titles = guide_titles(sections)
    briefing = build_briefing(args.title, args.notes, turns, source_line(sections), purpose=args.purpose,
                              guide=next(iter(titles.values())) if len(titles) == 1 else "")
    save(briefing, args.out)
    covered = len(briefing.answered)
    print(f"Wrote {args.out}: {covered} answered question(s), {len(briefing.not_covered)} the guide "
          f"does not cover, {len(briefing.references)} reference(s).", file=sys.stdout)
    return 0


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
