"""The guide's retrieval as a LangChain retriever, for people who want this index in their own chain.

    from assistant import Settings
    from assistant.retrieve.langchain_retriever import GuideRetriever

    retriever = GuideRetriever.open(Settings.load(), k=3)
    docs = retriever.invoke("Who should lead digital change?")
    docs[0].metadata  # {"section_id": ..., "title": ..., "path": [...], "source": ..., "page": ...}

Each Document is one section of the guide (its full text), ranked by the same fused search the
assistant uses (dense chunks + dense sections + BM25, role priors), with where it is in its metadata:
`section_id`, `title`, `path` (the heading path), `source`, `page`, `page_end`, and the evidence
(`similarity`, `fused_score`). The retriever only finds sections; it does not refuse. Deciding that
the guide does not cover a question is the answering pipeline's job (assistant.answer.refusal).

The assistant's own pipeline (assistant.answer.pipeline) does not go through this class: its steps
are bare runnables, because LangChain's per-call callback set-up cost more than most of its steps
take (bench/speed.py measures the stages).
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from assistant.embed.model import Embedder
from assistant.embed.question_encoder import question_encoder
from assistant.retrieve.index import GuideIndex, Hit, section_json
from assistant.retrieve.questions import clean_question
from assistant.settings import Settings


class GuideRetriever(BaseRetriever):
    """The `k` sections of the indexed guide that best answer a question, as LangChain Documents."""

    index: GuideIndex
    embedder: Embedder
    k: int = 4
    max_question_chars: int = 1000

    @classmethod
    def open(
        cls, settings: Settings, embedder: Embedder | None = None, k: int | None = None
    ) -> GuideRetriever:
        """Load the live index named by `settings` (and the question encoder, unless one is given)."""
        embedder = embedder or question_encoder(settings)
        return cls(index=GuideIndex(settings, embedder), embedder=embedder, k=k or settings.top_k,
                   max_question_chars=settings.max_question_chars)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        query = clean_question(query, self.max_question_chars)
        vector = self.embedder.encode([query])[0]
        return [to_document(hit) for hit in self.index.search(query, vector, self.k)[: self.k]]


def to_document(hit: Hit) -> Document:
    """A retrieved section as a Document: its text, and where it is in the guide."""
    metadata = {
        **section_json(hit.section),
        "similarity": round(hit.similarity, 4),
        "fused_score": round(hit.score, 5),
    }
    return Document(page_content=hit.section.text, metadata=metadata, id=hit.section.section_id)
