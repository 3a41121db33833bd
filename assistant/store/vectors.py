"""A generation's vectors held in memory, so answering a question needs no store round trip.

A published generation never changes, so its chunk and section vectors are read once, when the
index is opened, and searched by one matrix product: exact cosine search, the same ranking Chroma's
own (approximate, HNSW) cosine search gives on the guide, at a fraction of the cost per question.
Chroma stays the store of record; this module only reads from it.

Sentence vectors (many more, and used only for the few sections an answer quotes) are fetched per
section on first use and kept, up to a budget, most recently used first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np

_PAGE = 5000  # rows per `get`: a Chroma server answers a whole large collection slowly, or not at all

SentenceRow = tuple[str, str, int, np.ndarray]  # (section id, sentence, order, vector)


def read_all(collection, include: list[str], page: int = _PAGE) -> dict[str, list]:
    """Every record of a collection: {"ids": [...], and one list per `include` key}, in store order."""
    total = collection.count()
    keys = ["ids", *include]
    rows: dict[str, list] = {key: [] for key in keys}
    for offset in range(0, total, page):
        part = collection.get(include=include, limit=page, offset=offset)
        for key in keys:
            rows[key].extend(part[key])
    return rows


def unit_rows(vectors: Sequence) -> np.ndarray:
    """float32 rows scaled to unit length, as Chroma's cosine space scales them before comparing."""
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0).astype(np.float32)


class VectorTable:
    """Ids and their unit vectors; `nearest` is exact cosine search."""

    def __init__(self, ids: list[str], vectors: Sequence) -> None:
        self.ids = ids
        self.matrix = unit_rows(vectors) if ids else np.zeros((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k most similar ids, best first, with their cosine similarity."""
        k = min(k, len(self.ids))
        if k <= 0:
            return []
        query = unit_rows([vector])[0]
        # einsum rather than BLAS (`@`): OpenBLAS splits a product this size over both cores and,
        # when other work shares them, waits on the slower half (8 ms against 2 ms at 14,700 rows).
        # As Chroma reports it: a float32 cosine distance, turned back into a similarity.
        distance = np.float32(1.0) - np.einsum("ij,j->i", self.matrix, query)
        top = np.argpartition(distance, k - 1)[:k] if k < len(distance) else np.arange(len(distance))
        top = top[np.argsort(distance[top], kind="stable")]
        similarity = 1.0 - distance[top].astype(np.float64)
        return [(self.ids[i], float(s)) for i, s in zip(top.tolist(), similarity)]


class SentenceCache:
    """Each section's sentences with their vectors, read from the store once, then kept.

    At most `budget` sentences are kept (at 384 float32 dimensions, 20,000 are about 30 MiB), so a
    very large library does not hold every sentence vector; the least recently used go first.
    """

    def __init__(self, collection, store_lock: threading.Lock, budget: int = 20_000) -> None:
        self._collection = collection
        self._store_lock = store_lock  # the store's client is shared; its calls are serialised
        self._budget = budget
        self._kept: OrderedDict[str, list[SentenceRow]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def rows(self, section_ids: Iterable[str]) -> list[SentenceRow]:
        """The sentences of the given sections: section by section as asked, each in reading order."""
        wanted = list(dict.fromkeys(section_ids))
        with self._lock:
            found = {sid: self._touch(sid) for sid in wanted if sid in self._kept}
        missing = [sid for sid in wanted if sid not in found]
        if missing:
            fetched = self._fetch(missing)
            with self._lock:
                for sid in missing:
                    found[sid] = fetched.get(sid, [])
                    self._keep(sid, found[sid])
        return [row for sid in wanted for row in found[sid]]

    def _fetch(self, section_ids: list[str]) -> dict[str, list[SentenceRow]]:
        with self._store_lock:
            got = self._collection.get(
                where={"section_id": {"$in": section_ids}},
                include=["documents", "metadatas", "embeddings"],
            )
        if not got["ids"]:  # sections with no sentences of their own (a heading alone)
            return {}
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
        positions: dict[str, list[int]] = {}
        for i, meta in enumerate(got["metadatas"]):
            positions.setdefault(meta["section_id"], []).append(i)
        by_section: dict[str, list[SentenceRow]] = {}
        for sid, found in positions.items():
            found.sort(key=lambda i: int(got["metadatas"][i]["order"]))
            own = vectors[found]  # a copy per section, so dropping one section frees its memory
            by_section[sid] = [(sid, got["documents"][i], int(got["metadatas"][i]["order"]), own[j])
                               for j, i in enumerate(found)]
        return by_section

    def _touch(self, section_id: str) -> list[SentenceRow]:
        self._kept.move_to_end(section_id)
        return self._kept[section_id]

    def _keep(self, section_id: str, rows: list[SentenceRow]) -> None:
        if section_id in self._kept:  # another thread fetched it meanwhile
            return
        self._kept[section_id] = rows
        self._size += len(rows)
        while self._size > self._budget and len(self._kept) > 1:
            _, dropped = self._kept.popitem(last=False)
            self._size -= len(dropped)
