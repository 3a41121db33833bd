"""Sentence splitting good enough for guidance prose, without a downloaded NLP model."""

from __future__ import annotations

import re

_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "Mr.", "Mrs.", "Ms.", "Dr.", "No.", "vs.", "cf.", "St.")
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(\[]?[A-Z0-9£])")
_MASK = "\u2024"  # one-dot leader: stands in for a full stop that does not end a sentence


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; paragraphs (blank-line separated) never share a sentence."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = re.sub(r"\s+", " ", paragraph).strip()
        if not paragraph:
            continue
        masked = paragraph
        for abbreviation in _ABBREVIATIONS:
            masked = masked.replace(abbreviation, abbreviation.replace(".", _MASK))
        for piece in _BOUNDARY.split(masked):
            piece = piece.replace(_MASK, ".").strip()
            if piece:
                sentences.append(piece)
    return sentences
