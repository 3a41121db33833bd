"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings, fused and grouped by section.

Three rankings vote by reciprocal rank fusion: chunks by vector, sections by vector (a section's
mean chunk vector), and chunks by BM25 over their heading path and text. Chunk rankings vote for
the section they belong to, so one long section cannot crowd out the rest of the guide.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from assistant.embed.model import Embedder
from assistant.ingest.documents import Section
from assistant.retrieve.section_roles import Role, section_roles, wanted_roles, weight
from assistant.retrieve.terms import STOP_WORDS
from assistant.settings import Settings
from assistant.store.catalogue import load_sections
from assistant.store.generations import Generation, backend_for, check_model, open_generation
from assistant.store.vectors import SentenceCache, VectorTable, read_all

# Reciprocal rank fusion constant and per-ranking weights. The constant is the customary 60; the
# weights were chosen by `bench/calibrate.py` leaving one document out at a time over the evaluation
# documents and the companion's dev split, and fitted on all of them (docs/quality.md). Half weight
# for BM25 won in every fold; chunk vectors and section vectors traded places between folds.
RRF_K = 60
WEIGHTS = {"dense_chunks": 0.5, "dense_sections": 1.0, "bm25": 0.5}
_DEPTH = 40
# The fewest sections a search returns, whatever the `top_k` setting: refusal, the composer and the
# evaluation's Recall@5 and MRR@10 all look this far down the ranking.
MIN_RANKED = 10
# How many of the best sections before role priors a result always includes (for refusal).
UNWEIGHTED_KEPT = 5

Rankings = tuple[list[tuple[str, float]], list[tuple[str, float]], list[tuple[str, float]]]


@dataclass
class Hit:
    """One retrieved section, with the evidence that ranked it."""

    section: Section
    score: float  # fused score, for ranking
    similarity: float  # best cosine similarity of the question to any of its chunks
    chunk_ids: list[str] = field(default_factory=list)
    lexical: float = 0.0  # best BM25 score of its chunks
    coverage: float = 1.0  # share of the question's terms found anywhere in the section
    prior: float = 1.0  # the factor its role put on its fused score (see assistant.retrieve.section_roles)

    def to_json(self) -> dict:
        return {
            **section_json(self.section),
            "score": round(self.similarity, 4),
            "fused_score": round(self.score, 5),
            "coverage": round(self.coverage, 3),
        }


def section_json(s: Section) -> dict:
    """Where a section is, as `ask --json` reports it in `retrieved` and `citations`."""
    return {
        "section_id": s.section_id,
        "title": s.title,
        "path": list(s.path),
        "source": s.source,
        "page": s.page_start,
        "page_end": s.page_end,
    }


class GuideIndex:
    """The live generation loaded for reading: sections, vectors and BM25 in memory, read once."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.generation: Generation = open_generation(settings)
        self.info = self.generation.info()
        check_model(self.info, embedder.name, embedder.dimension)
        self.sections = load_sections(self.generation)
        self.roles: dict[str, Role] = section_roles(self.sections)
        chunks = read_all(self.generation.chunks, ["documents", "metadatas", "embeddings"])
        self.chunk_ids: list[str] = list(chunks["ids"])
        # The generation never changes: its vectors are searched in memory (see assistant.store.vectors).
        self._dense_chunks = VectorTable(self.chunk_ids, chunks["embeddings"])
        by_section = read_all(self.generation.sections, ["embeddings"])
        self._dense_sections = VectorTable(list(by_section["ids"]), by_section["embeddings"])
        self.chunk_section: dict[str, str] = {
            cid: m["section_id"] for cid, m in zip(chunks["ids"], chunks["metadatas"])
        }
        self.chunk_text: dict[str, str] = dict(zip(chunks["ids"], chunks["documents"]))
        texts = [f"{m.get('context', '')}: {d}" for d, m in zip(chunks["documents"], chunks["metadatas"])]
        self._bm25 = _Lexical()
        # Each section's vocabulary, to tell how much of a question it speaks to (see `Hit.coverage`).
        self._terms: dict[str, set[str]] = {}
        pairs: list[np.ndarray] = []
        for cid, terms in zip(self.chunk_ids, self._bm25.index(texts)):
            self._terms.setdefault(self.chunk_section[cid], set()).update(terms)
            pairs.append(np.fromiter((hash(p) for p in zip(terms, terms[1:])), dtype=np.int64))
        self._vocabulary: set[str] = set().union(*self._terms.values())
        # Every pair of adjacent terms in the guide, as sorted hashes (for `mentions`): a few MiB even
        # for a library. Python salts str hashes per process; these are built and read in this one.
        self._pairs = np.unique(np.concatenate(pairs)) if pairs else np.zeros(0, dtype=np.int64)
        # Chroma's embedded client is shared per process; queries from many threads are serialised.
        self._lock = threading.Lock()
        self._sentences = SentenceCache(self.generation.sentences, self._lock)

    @property
    def name(self) -> str:
        return self.generation.name

    def is_current(self) -> bool:
        return backend_for(self.settings).current() == self.generation.name

    def close(self) -> None:
        self.generation.close()

    def sentences(self, section_ids: list[str]) -> list[tuple[str, str, int, np.ndarray]]:
        """(section id, sentence, order, vector) for the sentences of the given sections, section by
        section in the order given, each section's sentences in reading order."""
        return self._sentences.rows(section_ids)

    def search(self, query: str, vector: np.ndarray, k: int) -> list[Hit]:
        """The k best sections for a question (its text for BM25, its vector for the rest).

        The list may run past k with sections the role priors pushed down (see `fuse`).
        """
        if not self.chunk_ids:
            return []
        return self.fuse(query, self.rankings(query, vector), k)

    def rankings(self, query: str, vector: np.ndarray) -> Rankings:
        """The three rankings before fusion: (chunk, cosine), (section, cosine), (chunk, BM25)."""
        if not self.chunk_ids:
            return [], [], []
        depth = min(_DEPTH, len(self.chunk_ids))
        chunk_hits = self._dense_chunks.nearest(vector, depth)
        section_hits = self._dense_sections.nearest(vector, _DEPTH)
        lexical = [(self.chunk_ids[i], s) for i, s in self._bm25.top(query, depth) if s > 0]
        return chunk_hits, section_hits, lexical

    def fuse(
        self,
        query: str,
        rankings: Rankings,
        k: int,
        weights: dict[str, float] | None = None,
        demotion: dict[Role, float] | None = None,
    ) -> list[Hit]:
        """Reciprocal rank fusion of the three rankings, by section, then each section's role prior."""
        chunk_hits, section_hits, lexical = rankings
        weights = weights or WEIGHTS
        fused: dict[str, float] = {}
        similarity: dict[str, float] = {}
        evidence: dict[str, list[str]] = {}
        best_lexical: dict[str, float] = {}

        def vote(ranking: list[str], weight: float) -> None:
            seen: list[str] = []
            for sid in ranking:
                if sid not in seen:
                    seen.append(sid)
            for rank, sid in enumerate(seen):
                fused[sid] = fused.get(sid, 0.0) + weight / (RRF_K + rank + 1)

        for cid, sim in chunk_hits:
            sid = self.chunk_section[cid]
            similarity[sid] = max(similarity.get(sid, -1.0), sim)
            evidence.setdefault(sid, []).append(cid)
        for cid, score in lexical:
            sid = self.chunk_section[cid]
            best_lexical[sid] = max(best_lexical.get(sid, 0.0), score)
            if cid not in evidence.setdefault(sid, []):
                evidence[sid].append(cid)
        vote([self.chunk_section[c] for c, _ in chunk_hits], weights["dense_chunks"])
        vote([sid for sid, _ in section_hits if sid in self.sections], weights["dense_sections"])
        vote([self.chunk_section[c] for c, _ in lexical], weights["bm25"])
        for sid, sim in section_hits:
            similarity.setdefault(sid, sim)
        ranked = [sid for sid in sorted(fused, key=lambda sid: (-fused[sid], -similarity.get(sid, 0.0)))
                  if sid in self.sections]
        wanted = wanted_roles(query)
        prior = {sid: weight(self.roles.get(sid, Role.EXPLANATION), wanted, demotion) for sid in ranked}
        # The best few before the priors stay in the list (at its end, where their scores put them)
        # so refusal can judge coverage without regard to roles (assistant.answer.refusal).
        unweighted_best = ranked[:UNWEIGHTED_KEPT]
        ranked.sort(key=lambda sid: (-fused[sid] * prior[sid], -similarity.get(sid, 0.0)))
        kept = ranked[:k] + [sid for sid in ranked[k:] if sid in unweighted_best]
        asked = set(self._bm25.query_terms(query))
        return [
            Hit(self.sections[sid], fused[sid] * prior[sid], similarity.get(sid, 0.0),
                evidence.get(sid, []), best_lexical.get(sid, 0.0), self._coverage(asked, sid), prior[sid])
            for sid in kept
        ]

    def mentions(self, name: str) -> bool:
        """Whether the guide uses `name`: every one of its stemmed words, each next to the one after.

        A name of stop words only ("IT") counts as used: there is no telling, and an answer should
        only say the guide is silent on something when it is.
        """
        words = self._bm25.words(name)
        if not set(words) <= self._vocabulary:
            return False
        return all(_in_sorted(self._pairs, hash(pair)) for pair in zip(words, words[1:]))

    def _coverage(self, asked: set[str], section_id: str) -> float:
        if not asked:
            return 1.0
        return len(asked & self._terms.get(section_id, set())) / len(asked)


class _Lexical:
    """BM25 over chunk texts with English stemming and stop words (assistant.retrieve.terms)."""

    def __init__(self) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self._retriever = bm25s.BM25()
        self._size = 0
        self._last: tuple[str, list[str]] | None = None

    def index(self, texts: list[str]) -> list[list[str]]:
        """Index the texts, once; returns each one's stemmed, stop-word-free terms in reading order
        (tokenised once for both, which matters at start-up for a large library)."""
        tokens = self._tokenize(texts) if texts else []
        if tokens:
            self._retriever.index(tokens, show_progress=False)
        self._size = len(tokens)
        return [[t for t in words if t] for words in tokens]

    def query_terms(self, query: str) -> list[str]:
        """The stemmed, stop-word-free terms BM25 sees in a question."""
        return [t for t in self._query_tokens(query) if t]

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        if not self._size:
            return []
        tokens = self._query_tokens(query)
        if not tokens:
            return []
        docs, scores = self._retriever.retrieve([tokens], k=min(k, self._size), show_progress=False)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0])]

    def words(self, text: str) -> list[str]:
        """One text's stemmed, stop-word-free terms in reading order (not cached, unlike a query's)."""
        return [t for t in self._tokenize([text])[0] if t]

    def _tokenize(self, texts: list[str]) -> list[list[str]]:
        return self._bm25s.tokenize(
            texts, stopwords=_STOP_LIST, stemmer=self._stemmer, show_progress=False, return_ids=False
        )

    def _query_tokens(self, query: str) -> list[str]:
        """One text's tokens. The last question's are kept: `top` and then `fuse` both need them."""
        last = self._last
        if last is not None and last[0] == query:
            return last[1]
        tokens = self._tokenize([query])[0]
        self._last = (query, tokens)  # one assignment: safe for threads asking at once
        return tokens


_STOP_LIST = sorted(STOP_WORDS)


def _in_sorted(values: np.ndarray, value: int) -> bool:
    at = int(np.searchsorted(values, value))
    return at < len(values) and int(values[at]) == value
