"""The ONNX question encoder: exported from the real model, it must give sentence-transformers'
vectors, and it must step aside (falling back to sentence-transformers) when the model changes."""

from __future__ import annotations

import json

import numpy as np

from assistant import question_encoder
from assistant.chain import Assistant
from assistant.embeddings import Embedder


def test_export_matches_sentence_transformers_and_falls_back_when_stale(
    mini_index, embedder, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert question_encoder.load_exported(mini_index) is None  # nothing exported yet
    graph = question_encoder.export(mini_index, embedder)
    assert graph is not None and graph.exists()

    onnx = question_encoder.load_exported(mini_index)
    assert onnx is not None and (onnx.name, onnx.dimension) == (embedder.name, embedder.dimension)
    texts = ["Who should lead digital change?", "", "open data " * 300]  # empty, and past 256 tokens
    ours, theirs = onnx.encode(texts), embedder.encode(texts)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < 1e-5
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)

    # The same question through the whole pipeline finds the same sections either way.
    question = "Who should own the council's digital plan?"
    with_onnx = Assistant(mini_index, onnx).ask(question)
    with_st = Assistant(mini_index, embedder).ask(question)
    assert [h.section.section_id for h in with_onnx.hits] == [h.section.section_id for h in with_st.hits]

    # A model file that changed since the export makes the export stale: never used then.
    record_path = graph.parent / "question-encoder.json"
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "size": record["size"] + 1}))
    assert question_encoder.load_exported(mini_index) is None


def test_question_encoder_falls_back_to_sentence_transformers(mini_index, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(question_encoder, "_LOADED", {})
    monkeypatch.setattr(question_encoder, "Embedder", _Recorded)
    assert isinstance(question_encoder.question_encoder(mini_index), _Recorded)


class _Recorded(Embedder):
    """The real Embedder class, only marked so the test can see which one was chosen."""
