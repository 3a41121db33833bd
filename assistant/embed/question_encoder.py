"""Encoding questions without loading torch: the same model, exported once to ONNX on this machine.

Ingest embeds the guide with sentence-transformers. Importing sentence-transformers (and through
it torch, transformers and scikit-learn) takes most of a cold `assistant ask`, yet answering needs
only one short vector per question. So `assistant ingest`, before it loads the model, has a child
process export the model once per model file to the user's cache folder (`$XDG_CACHE_HOME` or
`~/.cache`, then `council-guide-assistant/question-encoder/`; torch.onnx, nothing is downloaded),
with its sentence-transformers pipeline (Transformer -> mean Pooling -> Normalize) inside the
graph. Questions are then encoded by onnxruntime with the model folder's own `tokenizer.json`: the
same vectors (a test checks they agree with sentence-transformers to 1e-5), without importing torch.

When no export matches the model on disk (a different model, a changed file, or an older index),
`question_encoder` falls back to the sentence-transformers `Embedder`: slower to start, same answers.
The sentence-transformers optimum/ONNX backend would do the same, but optimum needs an older
transformers than the one installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import uuid
import warnings
from pathlib import Path

import numpy as np

from assistant.embed.model import Embedder, bundled_model_path, model_name
from assistant.settings import Settings

_GRAPH = "question-encoder.onnx"
_RECORD = "question-encoder.json"
_PIPELINE = ["Transformer", "Pooling", "Normalize"]

_LOADED: dict[tuple[str, str], object] = {}  # one encoder per model per process
_LOCK = threading.Lock()


def _model_folder(settings: Settings) -> Path:
    return Path(settings.model).expanduser() if settings.model else bundled_model_path()


def _fingerprint(folder: Path) -> dict:
    """Cheap to check at every start: the weights file's size and modification time."""
    weights = next((folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).exists()),
                   None)
    if weights is None:
        return {}
    stat = weights.stat()
    return {"folder": str(folder.resolve()), "weights": weights.name, "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns}


def _cache_folder(fingerprint: dict) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]
    return base / "council-guide-assistant" / "question-encoder" / key


def export(settings: Settings, embedder: Embedder | None = None) -> Path | None:
    """Write the ONNX question encoder for this model file; None if this model cannot be exported.

    Skipped when an export for the same model file already exists. Without a loaded `embedder`,
    the model's transformer is loaded here on its own (torch and transformers, not
    sentence-transformers), as `export_in_child` does.
    """
    folder = _model_folder(settings)
    fingerprint = _fingerprint(folder)
    shape = _exportable_shape(folder)
    if not fingerprint or shape is None:
        return None  # another pipeline shape: keep using sentence-transformers for questions
    target = _cache_folder(fingerprint)
    record = {**fingerprint, "name": model_name(settings.model), **shape}
    if _read_record(target) == record and (target / _GRAPH).exists():
        return target / _GRAPH
    if embedder is not None:
        transformer = embedder._model[0].auto_model
    else:
        from transformers import AutoModel

        transformer = AutoModel.from_pretrained(str(folder), local_files_only=True)
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".{uuid.uuid4().hex[:8]}.partial"  # two exports at once must not collide
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on tracing are not for councillors
            _export_graph(transformer, partial)
        partial.replace(target / _GRAPH)
    finally:
        partial.unlink(missing_ok=True)
    (target / _RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return target / _GRAPH


def export_in_child(settings: Settings) -> None:
    """`export` in a child process, when no export matches the model file yet.

    Exporting holds about 380 MB on top of the loaded model, so `assistant ingest` does it before it
    loads the model itself, in a process that then ends and hands all of that back: the export's
    peak never adds to the ingest's. A failure only means questions keep using sentence-transformers.
    """
    if _fresh_export(settings) is not None or _exportable_shape(_model_folder(settings)) is None:
        return
    code = "import sys; from assistant.embed.question_encoder import _export_main; _export_main(sys.argv[1])"
    try:
        subprocess.run([sys.executable, "-c", code, settings.model], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False, timeout=900)
    except (OSError, subprocess.TimeoutExpired):
        return


def _export_main(model: str) -> None:
    try:
        export(Settings.load(model=model))
    except Exception:  # noqa: BLE001  (a faster start is a nicety, never a reason to fail an ingest)
        sys.exit(1)


def _exportable_shape(folder: Path) -> dict | None:
    """The dimension and window of a model whose pipeline the export reproduces, read from its files.

    That pipeline is Transformer -> mean Pooling -> Normalize, with a `tokenizer.json` (which
    onnxruntime's side tokenizes with) and no lower-casing done by sentence-transformers itself.
    """
    modules = _json(folder / "modules.json")
    if not isinstance(modules, list) or not (folder / "tokenizer.json").exists():
        return None
    if [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules] != _PIPELINE:
        return None
    pooling = _json(folder / modules[1].get("path", "") / "config.json") or {}
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True}
    mode = pooling.get("pooling_mode")
    if (mode or modes) not in ("mean", {"pooling_mode_mean_tokens"}):
        return None
    window = _json(folder / "sentence_bert_config.json") or {}
    if window.get("do_lower_case") or not window.get("max_seq_length"):
        return None
    return {"dimension": int(pooling["word_embedding_dimension"]),
            "max_tokens": int(window["max_seq_length"])}


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _export_graph(transformer, path: Path) -> None:
    import torch

    class _MeanPooled(torch.nn.Module):
        """The sentence-transformers pipeline of this model: mean of token vectors, unit length."""

        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    example = torch.ones(1, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
    was_training = transformer.training
    transformer.eval()
    try:
        with torch.no_grad():
            torch.onnx.export(_MeanPooled(transformer), (example, example, torch.zeros_like(example)),
                              str(path), input_names=names, output_names=["embedding"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
    finally:
        transformer.train(was_training)


def _read_record(target: Path) -> dict | None:
    try:
        return json.loads((target / _RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class OnnxQuestionEncoder:
    """The exported encoder: `encode` as `Embedder.encode`, from onnxruntime and tokenizers only."""

    def __init__(self, graph: Path, model_folder: Path, record: dict) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.name = str(record["name"])
        self.dimension = int(record["dimension"])
        self.max_tokens = int(record["max_tokens"])
        self._tokenizer = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            encoded = self._tokenizer.encode_batch(list(texts[start:start + batch_size]))
            feeds = {
                "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
            }
            with self._lock:
                out[start:start + len(encoded)] = self._session.run(None, feeds)[0]
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


def load_exported(settings: Settings) -> OnnxQuestionEncoder | None:
    """The exported encoder when it matches the model on disk now, else None."""
    fresh = _fresh_export(settings)
    return OnnxQuestionEncoder(*fresh) if fresh else None


def _fresh_export(settings: Settings) -> tuple[Path, Path, dict] | None:
    """(graph, model folder, record) of an export matching the model on disk now, else None."""
    folder = _model_folder(settings)
    fingerprint = _fingerprint(folder)
    if not fingerprint:
        return None
    target = _cache_folder(fingerprint)
    record = _read_record(target)
    if not record or not (target / _GRAPH).exists():
        return None
    if {k: record.get(k) for k in fingerprint} != fingerprint:
        return None
    if record.get("name") != model_name(settings.model):
        return None
    return target / _GRAPH, folder, record


def question_encoder(settings: Settings):
    """What `ask` encodes questions with: the ONNX export when there is a fresh one, else the
    sentence-transformers model; loaded once per process."""
    key = (str(_model_folder(settings).resolve()), settings.model)
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = load_exported(settings) or Embedder(settings.model)
        return _LOADED[key]
