"""The vectors held in memory give what the Chroma store itself gives, on real indexes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.evaluation.run import load_questions
from assistant.retrieve.index import GuideIndex
from assistant.store.vectors import SentenceCache, read_all

DEV = Path(__file__).parent / "eval" / "dev.jsonl"


@pytest.fixture(scope="module")
def corpus_guide(corpus_index, embedder):
    index = GuideIndex(corpus_index, embedder)
    yield index
    index.close()


def _exhaustive(collection, vector: np.ndarray, depth: int) -> list[tuple[str, float]]:
    """Chroma's own cosine ranking over every record (asking for all of them makes HNSW exhaustive;
    asked for 40 it is approximate and, on the guide, misses one true neighbour in ~200 rankings)."""
    found = collection.query(query_embeddings=[vector], n_results=collection.count(), include=["distances"])
    pairs = [(i, 1.0 - d) for i, d in zip(found["ids"][0], found["distances"][0])]
    return pairs[:depth]


def test_in_memory_rankings_match_chromas_cosine_search(corpus_guide, embedder):
    questions = [q.question for q in load_questions(DEV)][:12] + ["How do I renew my passport?"]
    vectors = embedder.encode(questions)
    for question, vector in zip(questions, vectors):
        chunk_hits, section_hits, _ = corpus_guide.rankings(question, vector)
        for ours, collection in ((chunk_hits, corpus_guide.generation.chunks),
                                 (section_hits, corpus_guide.generation.sections)):
            theirs = _exhaustive(collection, vector, len(ours))
            assert len(ours) == len(theirs) == min(40, collection.count())
            for (mine, similarity), (chromas, reported) in zip(ours, theirs):
                assert abs(similarity - reported) < 1e-5, question
                assert mine == chromas or abs(similarity - reported) < 1e-6, question  # only ties swap


def test_sentences_are_the_stores_rows_section_by_section(corpus_guide):
    store = corpus_guide.generation.sentences
    wanted = list(corpus_guide.sections)[10:13][::-1]
    rows = store.get(where={"section_id": {"$in": wanted}}, include=["documents", "metadatas", "embeddings"])
    expected = sorted(
        ((m["section_id"], d, int(m["order"]), tuple(np.asarray(e, dtype=np.float32).tolist()))
         for d, m, e in zip(rows["documents"], rows["metadatas"], rows["embeddings"])),
        key=lambda row: (wanted.index(row[0]), row[2]),
    )
    assert len({row[0] for row in expected}) == 3
    for _ in range(2):  # read from the store, then from memory
        assert _plain(corpus_guide.sentences(wanted)) == expected
    assert corpus_guide.sentences([]) == []
    assert corpus_guide.sentences(["no-such-section"]) == []
    assert _plain(corpus_guide.sentences(["no-such-section", wanted[0]])) == expected[:len(
        [row for row in expected if row[0] == wanted[0]])]


def _plain(rows) -> list[tuple]:
    return [(sid, text, order, tuple(vector.tolist())) for sid, text, order, vector in rows]


def test_the_sentence_cache_stays_within_its_budget_and_still_answers(mini_index, embedder):
    index = GuideIndex(mini_index, embedder)
    try:
        cache = SentenceCache(index.generation.sentences, threading.Lock(), budget=5)
        every = list(index.sections)
        for sid in every:
            assert _plain(cache.rows([sid])) == _plain(index.sentences([sid]))
        kept = cache._kept
        assert cache._size == sum(len(rows) for rows in kept.values())
        assert cache._size <= 5 or len(kept) == 1
        assert list(kept)[-1] == every[-1]  # the most recently used is kept
        assert _plain(cache.rows(every)) == _plain(index.sentences(every))
    finally:
        index.close()


def test_paged_reads_return_every_record_in_store_order(mini_index, embedder):
    index = GuideIndex(mini_index, embedder)
    try:
        collection = index.generation.chunks
        whole = collection.get(include=["documents", "embeddings"])
        paged = read_all(collection, ["documents", "embeddings"], page=3)
        assert collection.count() > 3
        assert paged["ids"] == list(whole["ids"]) and paged["documents"] == list(whole["documents"])
        assert np.array_equal(np.asarray(paged["embeddings"]), np.asarray(whole["embeddings"]))
    finally:
        index.close()
