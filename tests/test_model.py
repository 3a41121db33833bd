"""The bundled embedding model: the official weights, loaded offline, with telemetry switched off."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from assistant.embed.model import BUNDLED_MODEL_SHA256, bundled_model_path, file_sha256
from assistant.store.backend import chroma_settings

_TELEMETRY = {
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "ORT_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
}


def test_bundled_weights_are_the_official_ones():
    weights = bundled_model_path() / "model.safetensors"
    assert file_sha256(weights) == BUNDLED_MODEL_SHA256


def test_the_session_model_embeds_meaningfully(embedder):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert (embedder.name, embedder.dimension, embedder.max_tokens) == ("all-MiniLM-L6-v2", 384, 256)
    vectors = embedder.encode(["Open data is published for anyone to reuse.",
                               "Councils publish data anyone may use freely.",
                               "The bin lorry comes on Tuesdays."])
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2



def test_encode_many_keeps_order_and_gives_each_text_its_own_vector(embedder, monkeypatch):
    # Small batches, so texts of very different length are split across several of them.
    monkeypatch.setattr("assistant.embed.model.BATCH_TOKENS", 300)
    texts = ["open data " * 300, "", "Who leads digital change?", "Councils share data. " * 20,
             "A councillor asks about broadband.", "open data " * 300]  # past the window, twice
    calls = []
    vectors = embedder.encode_many(texts, progress=lambda done, total: calls.append((done, total)))
    one_by_one = np.vstack([embedder.encode([t]) for t in texts])
    assert np.abs(vectors - one_by_one).max() < 1e-5
    assert np.array_equal(vectors[0], vectors[5])
    assert len(calls) > 1 and calls[-1] == (len(texts), len(texts))
    assert [d for d, _ in calls] == sorted({d for d, _ in calls})  # each batch moves it forward

def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_loads_offline_with_an_empty_hub_cache_and_no_network(tmp_path):
    # No hub cache, and every proxy pointing at a closed port: a download attempt would fail loudly.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "HF_HOME": str(tmp_path / "hf"),
           "HF_HUB_OFFLINE": "1", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    result = _python(
        "from assistant.embed.model import Embedder; e = Embedder(); "
        "print(e.encode(['a councillor asks a question']).shape)",
        env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "(1, 384)"
    assert not (tmp_path / "hf" / "hub").exists() or not any((tmp_path / "hf" / "hub").iterdir())


def test_importing_assistant_switches_telemetry_off():
    # Even a user who switched telemetry on gets it off once the package is imported.
    env = {"PATH": os.environ.get("PATH", ""), "ANONYMIZED_TELEMETRY": "True", "DO_NOT_TRACK": "0",
           "HF_HUB_OFFLINE": "0"}
    names = json.dumps([*_TELEMETRY, "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
    code = f"import json, os, assistant; print(json.dumps({{k: os.environ.get(k) for k in {names}}}))"
    result = _python(code, env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert {k: seen[k] for k in _TELEMETRY} == _TELEMETRY
    assert seen["TRANSFORMERS_OFFLINE"] == "1"
    assert seen["HF_HUB_OFFLINE"] == "0"  # an operator's explicit choice is kept; only telemetry is forced


def test_chroma_is_told_not_to_phone_home():
    assert chroma_settings().anonymized_telemetry is False
