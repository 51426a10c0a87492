"""The LangChain adapters on the real index: the retriever through LangChain's own standard
retriever suite (``langchain-tests``) and in an LCEL chain; the runnable's invoke, stream,
batch and their async forms (extractive backend)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import RetrieversIntegrationTests

from bot.api import Bot
from bot.errors import InputError
from bot.langchain import CitebotRetriever
from bot.schema import Answer
from bot.settings import Settings

RLHF = "What does RLHF stand for?"
STREAMED = "What can generative AI create besides text?"  # answered in three pieces
FACT = "Reinforcement Learning from Human Feedback"


@pytest.fixture(scope="module")
def bot(built_index: Settings) -> Bot:
    # No answer cache: an answer asked again would stream as one piece, and the streaming
    # tests below must see the pieces the backend streams.
    return Bot(built_index.with_overrides(model="extractive", answer_cache=False))


class TestStandardRetrieverSuite(RetrieversIntegrationTests):
    """LangChain's published checks for any retriever, run unchanged on ours."""

    shared: Bot

    @pytest.fixture(autouse=True)
    def _bot(self, bot: Bot) -> None:
        type(self).shared = bot

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return CitebotRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"bot": self.shared}

    @property
    def retriever_query_example(self) -> str:
        return "reinforcement learning from human feedback"


def test_documents_carry_where_they_come_from(bot: Bot) -> None:
    docs = bot.as_retriever(k=4).invoke("RLHF human feedback")
    assert len(docs) == 4 and FACT in docs[0].page_content
    for doc in docs:
        meta = doc.metadata
        assert {"doc_id", "title", "heading_path", "start", "end", "score", "chunk_id"} <= set(meta)
        document = bot.document(meta["chunk_id"])
        assert document is not None and document.doc_id == meta["doc_id"]
        assert doc.page_content.endswith(document.text[meta["start"]:meta["end"]])
    assert [d.metadata["score"] for d in docs] == sorted((d.metadata["score"] for d in docs),
                                                        reverse=True)


def test_the_retriever_in_an_lcel_chain(bot: Bot) -> None:
    def numbered(docs: list[Document]) -> str:
        return "\n".join(f"[{i}] {d.metadata['title']}: {d.page_content[:80]}"
                         for i, d in enumerate(docs, start=1))

    chain = bot.as_retriever(k=2) | RunnableLambda(numbered)
    context = chain.invoke("What does RLHF stand for?")
    assert context.startswith("[1] ") and "\n[2] " in context
    assert "Reinforcement Learning" in context


def test_the_runnable_invokes_streams_and_batches(bot: Bot) -> None:
    runnable = bot.as_runnable()
    answer = runnable.invoke(RLHF)
    assert isinstance(answer, Answer) and FACT in answer.text and answer.citations
    streamed = runnable.invoke(STREAMED)  # three sentences: three pieces (RLHF's is one)
    events = list(runnable.stream({"question": STREAMED}))
    assert isinstance(events[-1], Answer) and events[-1].text == streamed.text
    assert not events[-1].cached and all(isinstance(e, str) for e in events[:-1])
    assert len(events[:-1]) > 1 and "".join(events[:-1]) == streamed.text  # pieces, not one
    follow_up, plain = runnable.batch([
        {"question": "And what are its applications?",
         "history": [("user", "What is generative AI?")]},
        "What can generative AI create besides text?"])
    assert follow_up.query_used == "What are generative AI's applications?"
    assert not plain.abstained and plain.citations


def test_the_runnable_async_forms(bot: Bot) -> None:
    runnable = bot.as_runnable(top_k=3)

    async def run() -> tuple[Answer, list[Any], list[Answer]]:
        answer = await runnable.ainvoke(RLHF)
        events = [e async for e in runnable.astream(STREAMED)]
        both = await runnable.abatch([RLHF, {"question": RLHF, "history": []}])
        return answer, events, both

    answer, events, both = asyncio.run(run())
    assert FACT in answer.text and len(answer.passages) <= 3
    streamed = runnable.invoke(STREAMED)
    assert isinstance(events[-1], Answer) and events[-1].text == streamed.text
    assert not events[-1].cached and len(events[:-1]) > 1  # streamed in pieces
    assert "".join(events[:-1]) == streamed.text
    assert [a.text for a in both] == [answer.text, answer.text]


def test_the_runnable_refuses_other_input_with_the_fix(bot: Bot) -> None:
    with pytest.raises(InputError, match=re.escape("a question (text) or {'question'")):
        bot.as_runnable().invoke({"query": RLHF})  # type: ignore[arg-type]
