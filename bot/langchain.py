"""LangChain adapters: ``bot.as_retriever()`` and ``bot.as_runnable()``.

Imported only by those two methods, so ``langchain_core`` never loads otherwise. Neither
adapter re-implements anything: the retriever is ``Bot.retrieve`` (hybrid search), the
runnable is ``Bot.ask`` / ``Bot.stream``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import ConfigDict, Field

from bot.answering.stream import AnswerStream
from bot.errors import InputError
from bot.question import HistoryItem
from bot.schema import Answer, Passage

RunnableInput = str | Mapping[str, Any]
Chunk = str | Answer
"""What the runnable streams: the draft's text pieces, then the checked Answer."""


@runtime_checkable
class Bot(Protocol):
    """What the adapters use of a :class:`bot.api.Bot` (named here, not imported: bot.api
    imports this module when asked for an adapter)."""

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]: ...

    def ask(self, question: str, history: Sequence[HistoryItem] = (), options: Any = None,
            **overrides: Any) -> Answer: ...

    def stream(self, question: str, history: Sequence[HistoryItem] = (), options: Any = None,
               **overrides: Any) -> AnswerStream: ...


def passage_document(passage: Passage) -> Document:
    """A passage as a LangChain Document: its text, and where it comes from in metadata."""
    chunk = passage.chunk
    return Document(page_content=passage.text, id=chunk.chunk_id, metadata={
        "doc_id": chunk.doc_id, "title": chunk.title, "heading_path": list(chunk.heading_path),
        "start": chunk.start, "end": chunk.end, "score": passage.score,
        "chunk_id": chunk.chunk_id})


class CitebotRetriever(BaseRetriever):
    """citebot's hybrid retrieval (dense + BM25, fused, de-duplicated) as a LangChain
    retriever. ``k`` is set here or per call: ``retriever.invoke(query, k=3)``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    bot: Bot
    k: int = Field(5, ge=1, le=50)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None) -> list[Document]:
        return [passage_document(p) for p in self.bot.retrieve(query, k or self.k)]


def answer_runnable(bot: Bot, **options: Any) -> AnswerRunnable:
    """The runnable behind :meth:`Bot.as_runnable`; ``options`` go to every ``Bot.ask``
    (``model``, ``top_k``, ``temperature``, ``max_tokens``)."""
    return AnswerRunnable(bot, options)


class AnswerRunnable(Runnable[RunnableInput, Any]):
    """A question (text) or ``{"question": ..., "history": [...]}`` in, an Answer out.

    ``invoke``/``ainvoke``/``batch``/``abatch`` give the checked Answer. ``stream`` and
    ``astream`` give what ``Bot.stream`` gives: the draft's text pieces as they are
    generated, then the final Answer as the last item (its text may differ from the draft
    when the citation check dropped a sentence).
    """

    def __init__(self, bot: Bot, options: Mapping[str, Any] | None = None) -> None:
        self.bot = bot
        self.options = dict(options or {})

    def invoke(self, input: RunnableInput, config: RunnableConfig | None = None,
               **kwargs: Any) -> Answer:
        return self._call_with_config(self._ask, input, config)  # type: ignore[arg-type]

    def stream(self, input: RunnableInput, config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[Chunk]:
        question, history = _unpack(input)
        with self.bot.stream(question, history, **self.options) as stream:
            yield from stream.text()
            yield stream.answer()

    async def astream(self, input: RunnableInput, config: RunnableConfig | None = None,
                      **kwargs: Any) -> AsyncIterator[Chunk]:
        # Bot.stream is synchronous (it waits on the model): step it in a worker thread
        # so the event loop stays free.
        events = self.stream(input, config)
        done = object()
        while (event := await asyncio.to_thread(next, events, done)) is not done:
            yield event  # type: ignore[misc]

    def _ask(self, input: RunnableInput) -> Answer:
        question, history = _unpack(input)
        return self.bot.ask(question, history, **self.options)


def _unpack(input: RunnableInput) -> tuple[str, Sequence[HistoryItem]]:
    if isinstance(input, str):
        return input, ()
    if isinstance(input, Mapping) and "question" in input:
        return str(input["question"]), tuple(input.get("history") or ())
    raise InputError("the runnable takes a question (text) or {'question': ..., 'history': "
                     f"[...]}}, not {type(input).__name__}")
