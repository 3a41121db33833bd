"""The ONNX question encoder: exported from the real model, it must give sentence-transformers'
vectors, and it must step aside (falling back to sentence-transformers) when the model changes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from assistant.answer.pipeline import Assistant
from assistant.embed import question_encoder
from assistant.embed.model import Embedder, bundled_model_path


def test_export_matches_sentence_transformers_and_falls_back_when_stale(
    mini_index, embedder, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert question_encoder.load_exported(mini_index) is None  # nothing exported yet
    question_encoder.export_in_child(mini_index)  # as `assistant ingest` does: from the model's files
    written = next((tmp_path / "cache").rglob("question-encoder.onnx"))
    stamp = written.stat().st_mtime_ns
    graph = question_encoder.export(mini_index, embedder)  # already there: found, not written again
    assert graph == written and graph.stat().st_mtime_ns == stamp

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


def _model_copy(folder, change: str):
    """The bundled model's files (weights linked, not copied), with one change to its pipeline."""
    source = bundled_model_path()
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    edits = {
        "cls pooling": ("1_Pooling/config.json", {"pooling_mode_cls_token": True,
                                                  "pooling_mode_mean_tokens": False}),
        "lower-cased": ("sentence_bert_config.json", {"do_lower_case": True}),
        "no window": ("sentence_bert_config.json", {"max_seq_length": None}),
    }
    if change in edits:
        name, values = edits[change]
        (folder / name).write_text(json.dumps({**json.loads((folder / name).read_text()), **values}))
    elif change == "extra module":
        modules = json.loads((folder / "modules.json").read_text())
        modules.append({"idx": 3, "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
        (folder / "modules.json").write_text(json.dumps(modules))
    return folder


def test_the_export_reads_the_pipeline_shape_from_the_model_files(tmp_path):
    assert question_encoder._exportable_shape(_model_copy(tmp_path / "same", "none")) == {
        "dimension": 384, "max_tokens": 256}


@pytest.mark.parametrize("change", ["cls pooling", "lower-cased", "no window", "extra module"])
def test_a_pipeline_the_export_cannot_reproduce_is_never_exported(mini_index, tmp_path, monkeypatch,
                                                                  change):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = mini_index.replace(model=str(_model_copy(tmp_path / "model", change)))
    assert question_encoder.export(settings) is None
    question_encoder.export_in_child(settings)  # returns at once: no child is started for it
    assert question_encoder.load_exported(settings) is None
    assert not (tmp_path / "cache").exists()


def test_question_encoder_falls_back_to_sentence_transformers(mini_index, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(question_encoder, "_LOADED", {})
    monkeypatch.setattr(question_encoder, "Embedder", _Recorded)
    assert isinstance(question_encoder.question_encoder(mini_index), _Recorded)


class _Recorded(Embedder):
    """The real Embedder class, only marked so the test can see which one was chosen."""
