"""From one question to its answer's events: the answer cache, the model's line, retrieval,
the plan for the question's shape, and composition.

    cache hit ─────────────────────────────────────────────► the stored Answer, marked cached
    cache miss ─► wait for the model (Waiting events) ─► retrieve ─► plan ─► compose ─► Answer
                     └─ expected wait > fallback_after_s ─► the extractive Answer, labelled
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from threading import Lock

from bot.answer import AnswerRequest, Event, answer_events, evidence_is_weak
from bot.backends.base import Availability, GenerationRequest, Generator, Usage
from bot.backends.embedders import CachedEmbedder
from bot.cache import AnswerCache, CacheKey, as_cached, cacheable, history_key
from bot.errors import QueueFullError
from bot.live import LiveIndex
from bot.plans import Draft, Library, named_document
from bot.plans.catalogue import plan_catalogue
from bot.prompt import library_topic
from bot.queue import ModelQueue, Ticket, Waiting
from bot.retrieve import Turn, rewrite_query
from bot.schema import Answer, Passage
from bot.shape import BREADTH, classify
from bot.structured import BREADTH_K, nth_item_query, plan, structured_events

WAIT_TICK_S = 1.0  # how often a waiting question hears where it stands
FALLBACK_MODEL = "extractive"


@dataclass(frozen=True)
class Ask:
    """One question with everything that decides its answer."""

    question: str
    turns: list[Turn]
    generator: Generator
    top_k: int
    temperature: float
    max_tokens: int


class Answering:
    """Answers :class:`Ask` s over a live index; one per Bot (its cache and lines are shared
    by every thread asking through that Bot)."""

    def __init__(self, live: LiveIndex, embed: CachedEmbedder, cache: AnswerCache,
                 generator: Callable[[str], Generator], queue_limit: int | None = None) -> None:
        self._live = live
        self._queue_limit = queue_limit
        self._embed = embed
        self._cache = cache
        self._generator = generator
        self._queues: dict[str, ModelQueue] = {}
        self._lock = Lock()

    def events(self, ask: Ask, use_cache: bool,
               fallback_after_s: float | None) -> Iterator[Event | Waiting]:
        if not use_cache:
            yield from self._queued(ask, fallback_after_s)
            return
        started = time.perf_counter()
        found = self._cache.lead_or_wait(self._cache_key(ask))
        if isinstance(found, Answer):
            answer = as_cached(found, time.perf_counter() - started)
            yield answer.text  # a streaming reader gets the whole text at once
            yield answer
            return
        final = None
        try:
            for event in self._queued(ask, fallback_after_s):
                found.touch()  # waiting in line counts as progress: nobody takes over
                final = event if isinstance(event, Answer) else final
                yield event
        finally:  # also when the reader stops early: waiters must not wait for nothing
            self._cache.finish(found, final if final is not None and cacheable(final) else None)

    def identical_running(self, ask: Ask, use_cache: bool) -> bool:
        """Whether an identical question is under way, so that this one would wait for it."""
        return use_cache and self._cache.busy(self._cache_key(ask))

    def queue(self, generator: Generator) -> ModelQueue | None:
        """The line for ``generator``; None when it answers any number at once."""
        capacity = getattr(generator, "concurrency", None)
        if capacity is None:
            return None
        with self._lock:
            return self._queues.setdefault(generator.name,
                                           ModelQueue(int(capacity), self._queue_limit))

    def _queued(self, ask: Ask, fallback_after_s: float | None) -> Iterator[Event | Waiting]:
        """The answer: evidence gathered at once, then the model's turn waited for, then
        composed. Only the model's own work holds the line (retrieval before it and the
        support check after it overlap with other questions' generation), and a question
        the model will not be asked (weak evidence) does not wait at all."""
        prepared = self._prepare(ask)
        queue = self.queue(ask.generator)
        if queue is None or not prepared.needs_model:
            yield from self._compose(prepared, ask.generator)
            return
        try:
            ticket = queue.join()
        except QueueFullError as full:
            if fallback_after_s is None:
                raise
            yield from self._fallback(prepared, f"the model's line is full ({full})")
            return
        try:
            tick = 0.0  # the first look is at once: a wait too long to bear falls back now
            while not ticket.wait(tick):
                status, tick = ticket.status(), WAIT_TICK_S
                if fallback_after_s is not None and (status.estimate_s or 0) > fallback_after_s:
                    ticket.leave()
                    yield from self._fallback(prepared, f"{ordinal(status.position)} in line "
                                              f"for the model, about {status.estimate_s:.0f} s "
                                              "to wait")
                    return
                yield status
            yield from self._compose(prepared, _Turn(ask.generator, ticket))
        finally:
            ticket.leave()  # a no-op when the model's stream already gave the place up

    def _fallback(self, prepared: _Prepared, why: str) -> Iterator[Event]:
        """The verified extractive answer over the same evidence, given at once because the
        model is busy."""
        for event in self._compose(prepared, self._generator(FALLBACK_MODEL)):
            yield replace(event, fallback=why) if isinstance(event, Answer) else event

    def _prepare(self, ask: Ask) -> _Prepared:
        """Retrieval and the plan for the question's shape: everything before the model."""
        started = time.perf_counter()
        view = self._live.current()
        turns = ask.turns
        query = (nth_item_query(ask.question, [(t.role, t.content) for t in turns],
                                view.library) if turns else None) or rewrite_query(ask.question,
                                                                                   turns)
        k, embed = ask.top_k, self._embed.embed_documents
        catalogue = plan_catalogue(query, view.library)
        if catalogue is not None:  # about the documents themselves: no retrieval, no model
            return _Prepared(self._request(ask, query, catalogue.passages, (), view.library),
                             catalogue, False, time.perf_counter() - started)
        shape = classify(query)
        breadth = shape.kind in BREADTH
        passages = view.retriever.retrieve(query, max(k, BREADTH_K) if breadth else k)
        absent = view.library.absent_names(query)
        weak = bool(absent) or evidence_is_weak(passages[:k])
        library = view.library if breadth else None
        # Weak evidence abstains, unless the question names a document to list or summarise:
        # then the document is the evidence, whatever retrieval found.
        draft = (plan(shape, query, passages, library, embed) if library is not None and (
            not weak or named_document(query, library)) else None)
        request = self._request(ask, query, tuple(passages[:k]), absent, view.library)
        needs_model = draft is not None or not weak
        return _Prepared(request, draft, needs_model, time.perf_counter() - started)

    def _request(self, ask: Ask, query: str, passages: tuple[Passage, ...],
                 absent: tuple[str, ...], library: Library) -> AnswerRequest:
        """The request for the model, from the answer's one index view (its ``library``)."""
        return AnswerRequest(question=ask.question, query_used=query, passages=passages,
                             temperature=ask.temperature, max_tokens=ask.max_tokens,
                             model=ask.generator.name, absent=absent,
                             topic=self._live.settings.topic or library_topic(
                                 [d.title for d in library.documents.values()]))

    def _compose(self, prepared: _Prepared, generator: Generator) -> Iterator[Event]:
        request = replace(prepared.request, model=generator.name)
        embed = self._embed.embed_documents
        events = (structured_events(request, prepared.draft, generator, embed)
                  if prepared.draft else answer_events(request, generator, embed))
        for event in events:
            if isinstance(event, Answer):
                event = _with_retrieval_time(event, prepared.retrieval_s)
            yield event

    def _cache_key(self, ask: Ask) -> CacheKey:
        view = self._live.current()
        contents = f"{view.state.collection_id}:{view.state.version}" if view.state else ""
        return CacheKey(ask.question, history_key([(t.role, t.content) for t in ask.turns]),
                        view.store.live_name, contents, ask.generator.name, ask.top_k,
                        ask.temperature, ask.max_tokens)


@dataclass(frozen=True)
class _Prepared:
    """A question's evidence and plan, ready for a generator to compose the answer."""

    request: AnswerRequest
    draft: Draft | None
    needs_model: bool
    retrieval_s: float


class _Turn:
    """The model, for one question whose turn has come: the place in line is given up the
    moment the model's stream ends, and only a whole stream counts as an answer's time."""

    def __init__(self, model: Generator, ticket: Ticket) -> None:
        self.name = model.name
        self._model = model
        self._ticket = ticket

    def check(self) -> Availability:
        return self._model.check()

    def stream(self, request: GenerationRequest) -> Iterator[str | Usage]:
        finished = False
        try:
            yield from self._model.stream(request)
            finished = True
        finally:
            self._ticket.leave(finished=finished)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _with_retrieval_time(answer: Answer, seconds: float) -> Answer:
    timings = {"retrieval": seconds, **{k: v + seconds for k, v in answer.timings.items()}}
    return replace(answer, timings=timings)
