"""Three baselines and our pipeline, scored on the same corpus and questions.

(a) `tutorial`: the LangChain tutorial RAG a developer would write: the corpus files' raw text cut
    by `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`, stored in Chroma
    through `langchain-chroma` with the same MiniLM model, `similarity_search(k=4)`. A retrieved
    chunk counts for the section it lies in (the one holding most of its characters).
(b) `bm25`: BM25 alone over our chunks, grouped by section.
(c) `dense`: vector search alone over our chunks, grouped by section.
(d) `assistant`: the whole `Assistant.ask`, as `assistant eval` runs it.

(a) is also timed with the question encoder `ask` uses (ONNX when exported), so the latency ratio
can be read both ways: against the tutorial as written, and against the same encoder. The latter
is also timed alternately with our whole answer over every question (`latency_vs_a`): the fair
comparison on a shared machine.

Baselines never refuse (in the tutorial an LLM would decide), so their refusal figures are empty.
Run: .venv/bin/python bench/baselines.py tests/eval/dev.jsonl [--index DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import assistant  # noqa: F401  (offline and no-telemetry environment first)
from assistant.embed.model import Embedder
from assistant.evaluation.metrics import bootstrap_interval, percentile, question_scores
from assistant.evaluation.run import EvalQuestion, load_questions, run, score
from assistant.ingest.documents import Section, find_files, read_sections
from assistant.retrieve.index import GuideIndex, section_json
from assistant.settings import Settings

Ranker = Callable[[str], list[dict]]


def _grouped(section_ids: list[str], sections: dict[str, Section]) -> list[dict]:
    """Chunk hits -> distinct sections, in order of their best chunk."""
    seen: list[str] = []
    for sid in section_ids:
        if sid not in seen:
            seen.append(sid)
    return [section_json(sections[sid]) for sid in seen if sid in sections]


class TutorialRag:
    """Baseline (a), built in a throwaway folder from the raw text of the corpus files."""

    def __init__(self, corpus: Path, embedder: Embedder, workdir: Path) -> None:
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from assistant.store.backend import chroma_settings

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        self.sections: dict[str, Section] = {}
        documents: list[Document] = []
        files, _ = find_files([corpus])
        for file in files:
            raw = file.path.read_text(encoding="utf-8", errors="replace")
            spans = _section_spans(raw, read_sections(file))
            self.sections.update({s.section_id: s for s, _, _ in spans})
            for doc in splitter.create_documents([raw], metadatas=[{"source": file.source}]):
                start = doc.metadata["start_index"]
                doc.metadata["section_id"] = _owner(spans, start, start + len(doc.page_content))
                documents.append(doc)
        self.chunks = len(documents)
        self.store = Chroma(collection_name="tutorial", embedding_function=embedder,
                            persist_directory=str(workdir), client_settings=chroma_settings())
        self.store.add_documents(documents)

    def rank(self, question: str) -> list[dict]:
        docs = self.store.similarity_search(question, k=4)
        return _grouped([d.metadata["section_id"] for d in docs], self.sections)

    def ranker_with(self, encoder) -> Ranker:
        """The same search with another question encoder: same vectors, so only its speed differs."""

        def rank(question: str) -> list[dict]:
            vector = encoder.encode([question])[0].tolist()
            docs = self.store.similarity_search_by_vector(vector, k=4)
            return _grouped([d.metadata["section_id"] for d in docs], self.sections)

        return rank


def _section_spans(raw: str, sections: list[Section]) -> list[tuple[Section, int, int]]:
    """Each section's character span in the raw file: from its heading to the next heading."""
    starts: list[tuple[Section, int]] = []
    cursor = 0
    for section in sections:
        at = raw.find(section.title, cursor)
        if at < 0:  # a heading rewritten by the reader: keep it after the previous one
            at = cursor
        starts.append((section, at))
        cursor = at
    ends = [start for _, start in starts[1:]] + [len(raw)]
    return [(section, start, end) for (section, start), end in zip(starts, ends)]


def _owner(spans: list[tuple[Section, int, int]], start: int, end: int) -> str:
    """The section holding most of the characters start..end."""
    best = max(spans, key=lambda span: min(end, span[2]) - max(start, span[1]))
    return best[0].section_id


def bm25_ranker(index: GuideIndex) -> Ranker:
    """Baseline (b)."""

    def rank(question: str) -> list[dict]:
        hits = index._bm25.top(question, 40)
        return _grouped([index.chunk_section[index.chunk_ids[i]] for i, s in hits if s > 0],
                        index.sections)[:10]

    return rank


def dense_ranker(index: GuideIndex, embedder: Embedder) -> Ranker:
    """Baseline (c)."""

    def rank(question: str) -> list[dict]:
        vector = embedder.encode([question])[0]
        depth = min(40, len(index.chunk_ids))
        found = index.generation.chunks.query(query_embeddings=[vector], n_results=depth)
        return _grouped([index.chunk_section[c] for c in found["ids"][0]], index.sections)[:10]

    return rank


class _RankerAsAssistant:
    """Lets `assistant.evaluation.run.run` time and score a bare ranker; it never refuses."""

    def __init__(self, rank: Ranker) -> None:
        self._rank = rank

    def ask(self, question: str):
        ranked = self._rank(question)
        return _Ranked([_Plain(s) for s in ranked])


class _Plain:
    def __init__(self, data: dict) -> None:
        self._data = data

    def to_json(self) -> dict:
        return self._data


class _Ranked:
    refused = False

    def __init__(self, hits: list[_Plain]) -> None:
        self.hits = hits
        self.unmentioned: list[str] = []  # a bare ranker never says what the guide leaves out


def score_system(name: str, asker, questions: list[EvalQuestion], refuses: bool) -> dict:
    """One row of the quality table; "per_question" keeps each in-scope question's own scores (in
    file order) for the intervals `compare` adds, and is dropped from the printed results."""
    records = run(questions, asker, 10)
    metrics = score(records)
    paraphrase = metrics["by_kind"].get("paraphrase", {})
    inside = [r for r in records if r.question.in_scope]
    row = {
        "system": name,
        **{k: metrics["overall"][k] for k in ("recall@1", "recall@3", "recall@5", "mrr@10")},
        "paraphrase_recall@3": paraphrase.get("recall@3"),
        "out_of_scope_refused": metrics["refusal"]["out_of_scope_refused"] if refuses else None,
        "in_scope_wrongly_refused": metrics["refusal"]["in_scope_wrongly_refused"] if refuses else None,
        "p50_ms": metrics["latency_ms"]["p50"],
        "p95_ms": metrics["latency_ms"]["p95"],
        "per_question": {
            "all": question_scores([r.ranks for r in inside]),
            "paraphrase": question_scores([r.ranks for r in inside if r.question.kind == "paraphrase"]),
        },
    }
    return row


def intervals(row: dict, base: dict) -> dict:
    """95% bootstrap intervals: the row's Recall@3 and MRR@10, and its paired lead over (a)'s."""
    ours, theirs = row["per_question"], base["per_question"]
    return {
        "recall@3": bootstrap_interval(ours["all"]["recall@3"]),
        "mrr@10": bootstrap_interval(ours["all"]["mrr@10"]),
        "recall@3_minus_a": bootstrap_interval(ours["all"]["recall@3"], theirs["all"]["recall@3"]),
        "mrr@10_minus_a": bootstrap_interval(ours["all"]["mrr@10"], theirs["all"]["mrr@10"]),
        "paraphrase_recall@3_minus_a": bootstrap_interval(
            ours["paraphrase"]["recall@3"], theirs["paraphrase"]["recall@3"]),
    }


def latency_versus_tutorial(questions: list[str], tutorial: Ranker, ours, rounds: int = 3) -> dict:
    """Our whole warm answer against (a)'s retrieval alone (both with our question encoder).

    Timed in the same process and taking turns: for each question the two alternate going first,
    so load from other jobs on a shared machine falls on both alike. Both answer the first
    question once before timing. Our per-stage timings come from the same calls; "plumbing" is
    the rest of `ask` (the chain and building the Answer). The first round is also reported alone:
    there our answers meet each quoted section for the first time (see assistant.store.vectors).
    """
    tutorial(questions[0])
    ours.ask(questions[0])
    theirs_ms: list[float] = []
    ours_ms: list[float] = []
    stages: dict[str, list[float]] = {}

    def time_tutorial(question: str) -> None:
        started = time.perf_counter()
        tutorial(question)
        theirs_ms.append((time.perf_counter() - started) * 1000)

    def time_ours(question: str) -> None:
        started = time.perf_counter()
        answer = ours.ask(question)
        wall = (time.perf_counter() - started) * 1000
        ours_ms.append(wall)
        timings = {k: v for k, v in answer.timings_ms.items() if k != "total"}
        for stage, ms in {**timings, "plumbing": wall - sum(timings.values())}.items():
            stages.setdefault(stage, []).append(ms)

    for round_ in range(rounds):
        for i, question in enumerate(questions):
            pair = (time_tutorial, time_ours) if (round_ + i) % 2 == 0 else (time_ours, time_tutorial)
            for timed in pair:
                timed(question)
    n = len(questions)
    return {
        "questions": n,
        "rounds": rounds,
        "a_retrieval_p50_ms": percentile(theirs_ms, 50),
        "ours_p50_ms": percentile(ours_ms, 50),
        "ratio_p50": _ratio(percentile(ours_ms, 50), percentile(theirs_ms, 50)),
        "a_retrieval_p95_ms": percentile(theirs_ms, 95),
        "ours_p95_ms": percentile(ours_ms, 95),
        "ours_stage_p50_ms": {stage: percentile(ms, 50) for stage, ms in stages.items()},
        "first_round": {"a_retrieval_p50_ms": percentile(theirs_ms[:n], 50),
                        "ours_p50_ms": percentile(ours_ms[:n], 50),
                        "ratio_p50": _ratio(percentile(ours_ms[:n], 50), percentile(theirs_ms[:n], 50))},
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def compare(question_files: list[Path], settings: Settings, embedder: Embedder) -> dict:
    """All four systems on each question file; ratios are to baseline (a)."""
    from assistant.answer.pipeline import Assistant

    ours = Assistant(settings)  # as `assistant ask` loads it (its own question encoder)
    index = GuideIndex(settings, embedder)
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        tutorial = TutorialRag(settings.corpus, embedder, Path(workdir))
        build_s = time.perf_counter() - started
        systems = [
            ("(a) LangChain tutorial RAG", _RankerAsAssistant(tutorial.rank), False),
            (f"(a) with our question encoder ({type(ours.embedder).__name__})",
             _RankerAsAssistant(tutorial.ranker_with(ours.embedder)), False),
            ("(b) BM25 alone", _RankerAsAssistant(bm25_ranker(index)), False),
            ("(c) dense alone", _RankerAsAssistant(dense_ranker(index, embedder)), False),
            ("assistant (ours)", ours, True),
        ]
        results: dict = {"tutorial_chunks": tutorial.chunks, "tutorial_build_s": round(build_s, 2)}
        for path in question_files:
            questions = load_questions(path)
            rows = [score_system(name, asker, questions, refuses) for name, asker, refuses in systems]
            base = rows[0]
            for row in rows:
                row["recall@3_vs_a"] = _ratio(row["recall@3"], base["recall@3"])
                row["p50_vs_a"] = _ratio(row["p50_ms"], base["p50_ms"])
                row["interval_95"] = intervals(row, base)
            for row in rows:
                del row["per_question"]
            results[path.stem] = rows
        every = [q.question for path in question_files for q in load_questions(path)]
        results["latency_vs_a"] = latency_versus_tutorial(every, tutorial.ranker_with(ours.embedder), ours)
        tutorial.store.delete_collection()
    index.close()
    return results


def _ratio(value: float | None, base: float | None) -> float | None:
    return round(value / base, 2) if value is not None and base else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="JSONL question files")
    parser.add_argument("--index", type=Path, help="index folder built from --corpus")
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/)")
    args = parser.parse_args()
    settings = Settings.load(index=args.index, corpus=args.corpus)
    print(json.dumps(compare(args.files, settings, Embedder(settings.model)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
