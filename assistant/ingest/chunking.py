"""Sections become chunks small enough for the embedding model, cut on paragraph and sentence
boundaries. A chunk's id hashes its section id (source and heading path) and text, so an unchanged
chunk keeps its id (and its stored vector) across ingests, and the same paragraph in two files (or
under two same-named headings) stays two chunks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from assistant.ingest.documents import Section
from assistant.ingest.formats.headings import strip_numbering
from assistant.ingest.sentences import split_sentences


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    section_id: str
    order: int
    text: str
    embed_text: str


def heading_context(path: tuple[str, ...]) -> str:
    """The heading path as words for the model: numbering carries no meaning, so it is dropped."""
    return " > ".join(strip_numbering(heading) for heading in path)


def chunk_section(
    section: Section, max_chars: int, fits: Callable[[str], bool] | None = None
) -> list[Chunk]:
    """Cut a section into chunks of at most `max_chars` of text.

    Args:
        section: the section to cut.
        max_chars: the character budget for a chunk's embedded text (heading context included).
        fits: optionally, whether an embedded text is short enough for the model. Characters are
            only a proxy for word pieces: numbers, codes and symbols take several pieces each, so a
            chunk that fails this check is split again until every part fits.
    """
    context = heading_context(section.path)
    budget = max(200, max_chars - len(context) - 2)
    pieces = _pack(section.paragraphs, budget)
    if fits is not None:
        pieces = [part for piece in pieces for part in _refit(piece, context, fits)]
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for order, piece in enumerate(pieces):
        # The section id stands for source and heading path (and which of two same-named headings).
        key = "\x1f".join((section.section_id, piece))
        chunk_id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        while chunk_id in seen:  # the same text twice in one section
            chunk_id = hashlib.sha256((key + chunk_id).encode("utf-8")).hexdigest()[:32]
        seen.add(chunk_id)
        chunks.append(Chunk(chunk_id, section.section_id, order, piece, f"{context}: {piece}"))
    return chunks


def _pack(paragraphs: list[str], budget: int) -> list[str]:
    """Greedily fill chunks with whole paragraphs, splitting a long one into sentences."""
    units: list[str] = []
    for paragraph in paragraphs:
        if len(paragraph) <= budget:
            units.append(paragraph)
            continue
        for sentence in split_sentences(paragraph):
            units.extend(_hard_wrap(sentence, budget))
    return _fill(units, budget, "\n")


def _fill(units: list[str], budget: int, joiner: str) -> list[str]:
    """Join units greedily into pieces of at most `budget` characters (one unit may exceed it)."""
    pieces: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + len(joiner) + len(unit) > budget:
            pieces.append(current)
            current = unit
        else:
            current = f"{current}{joiner}{unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def _hard_wrap(sentence: str, budget: int) -> list[str]:
    """A sentence longer than the budget is cut between words: rare, but tables and lists do it."""
    if len(sentence) <= budget:
        return [sentence]
    return [part[:budget] for part in _fill(sentence.split(), budget, " ")]


def _refit(piece: str, context: str, fits: Callable[[str], bool]) -> list[str]:
    """Halve a chunk the model would truncate, on line, then sentence, then word boundaries."""
    if fits(f"{context}: {piece}"):
        return [piece]
    units, glue = _finest_units(piece)
    if len(units) < 2:
        return [piece]  # a single word longer than the model's window: nothing sensible to cut
    middle = _middle(units)
    return [
        part
        for side in (glue.join(units[:middle]), glue.join(units[middle:]))
        for part in _refit(side, context, fits)
    ]


def _finest_units(piece: str) -> tuple[list[str], str]:
    """The coarsest split that gives more than one unit, and the glue that rejoins it."""
    lines = piece.split("\n")
    if len(lines) > 1:
        return lines, "\n"
    sentences = split_sentences(piece)
    if len(sentences) > 1:
        return sentences, " "
    return piece.split(), " "


def _middle(units: list[str]) -> int:
    """The cut that best halves the units by characters (always leaving one on each side)."""
    total, size = sum(len(u) for u in units), 0
    for position, unit in enumerate(units[:-1], start=1):
        size += len(unit)
        if size >= total / 2:
            return position
    return len(units) - 1
