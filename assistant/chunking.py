"""Sections become chunks small enough for the embedding model, cut on paragraph and sentence
boundaries. A chunk's id hashes its source, heading path and text, so an unchanged chunk keeps its
id (and its stored vector) across ingests, and the same paragraph in two files stays two chunks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from assistant.documents import Section
from assistant.sentences import split_sentences

_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Z]\.)\s+")


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    section_id: str
    order: int
    text: str
    embed_text: str


def heading_context(path: tuple[str, ...]) -> str:
    """The heading path as words for the model: numbering carries no meaning, so it is dropped."""
    return " > ".join(_NUMBERING.sub("", heading) for heading in path)


def chunk_section(section: Section, max_chars: int) -> list[Chunk]:
    context = heading_context(section.path)
    budget = max(200, max_chars - len(context) - 2)
    pieces = _pack(section.paragraphs, budget)
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for order, piece in enumerate(pieces):
        key = "\x1f".join((section.source, *section.path, piece))
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
    chunks: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + 1 + len(unit) > budget:
            chunks.append(current)
            current = unit
        else:
            current = f"{current}\n{unit}" if current else unit
    if current:
        chunks.append(current)
    return chunks


def _hard_wrap(sentence: str, budget: int) -> list[str]:
    """A sentence longer than the budget is cut between words: rare, but tables and lists do it."""
    if len(sentence) <= budget:
        return [sentence]
    words, parts, current = sentence.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > budget:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return [p[:budget] for p in parts]
