"""The guide's index as a LangChain retriever, on the real mini index and the real model, in an LCEL chain."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnablePassthrough

from assistant.answer.pipeline import Assistant
from assistant.errors import UsageError
from assistant.retrieve.langchain_retriever import GuideRetriever


@pytest.fixture(scope="module")
def retriever(mini_index, embedder) -> GuideRetriever:
    return GuideRetriever.open(mini_index, embedder, k=3)


def test_it_is_a_langchain_retriever_returning_documents_with_their_place_in_the_guide(retriever):
    docs = retriever.invoke("What is open data?")
    assert isinstance(retriever, BaseRetriever)
    assert 1 <= len(docs) <= 3
    assert all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.metadata["path"] == ["2 Data", "2.1 Open data"]
    assert top.metadata["title"] == "2.1 Open data"
    assert top.metadata["source"] == "mini-guide.md"
    assert top.metadata["page"] is None  # a Markdown file has no pages
    assert top.metadata["section_id"] == top.id
    assert "free of charge" in top.page_content
    assert 0 < top.metadata["similarity"] <= 1


def test_it_ranks_as_the_assistant_does(retriever, mini_index, embedder):
    question = "Who should lead digital change?"
    ours = [d.metadata["section_id"] for d in retriever.invoke(question)]
    assistant = [h.section.section_id for h in Assistant(mini_index, embedder).ask(question).hits]
    assert ours == assistant[: len(ours)]


def test_k_limits_the_documents(mini_index, embedder):
    assert len(GuideRetriever.open(mini_index, embedder, k=1).invoke("digital inclusion")) == 1


def test_an_empty_question_is_refused_with_the_assistants_message(retriever):
    with pytest.raises(UsageError):
        retriever.invoke("   ")


def test_in_an_lcel_chain_the_prompt_carries_the_retrieved_sections_and_their_sources(retriever):
    def cite(docs: list[Document]) -> str:
        return "\n\n".join(f"[{' > '.join(d.metadata['path'])} ({d.metadata['source']})]\n{d.page_content}"
                           for d in docs)

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer only from these sections:\n{context}"), ("human", "{question}")]
    )
    chain = {"context": retriever | cite, "question": RunnablePassthrough()} | prompt
    messages = chain.invoke("How can a council help residents who are not online?").to_messages()
    context, question = messages[0].content, messages[1].content
    assert question == "How can a council help residents who are not online?"
    assert context.index("3 Digital inclusion (mini-guide.md)]") < context.index("face-to-face help")
    assert retriever.batch(["What is open data?", "digital champion"])[1][0].metadata["title"] == (
        "1.2 A digital champion among councillors"
    )
