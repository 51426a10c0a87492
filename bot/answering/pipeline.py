"""The answering spine: one question's way to its Answer, stage by stage.

    Pipeline.events(ask)                                   one index view for the whole answer
      1. cache     an identical question's answer, stored or on its way    (bot.cache)
      2. rewrite   a follow-up made standalone                              (followup)
      3. retrieve  questions about the documents: the catalogue; else hybrid search
                                                                 (plans.catalogue, bot.retrieve)
      4. decide    the question's shape, and whether the evidence answers it (shape, evidence)
      5. plan      a breadth question's structure, from the sources         (breadth.plan)
      6. wait      the model's turn in line, or the quick extractive answer  (bot.queue)
      7. generate  the model's words over the evidence                      (fact, breadth)
      8. check     every sentence against what it cites                     (check, blocks)
      9. build     the Answer, once                                         (result)

Stages 1-5 and 8 need no model and overlap with other questions' generation; only stage 7
holds the model's line. A question whose evidence is weak is not put in line at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from collections.abc import Generator as Steps
from dataclasses import dataclass, replace
from threading import Lock

from bot.answering.breadth import BREADTH_K, answer_breadth, plan
from bot.answering.evidence import abstain_reason
from bot.answering.fact import answer_fact
from bot.answering.followup import standalone_query
from bot.answering.prompt import library_topic
from bot.answering.request import AnswerRequest, Ask
from bot.answering.result import AnswerBuilder
from bot.answering.shape import BREADTH, classify
from bot.answering.stream import Events
from bot.backends.base import Availability, GenerationRequest, Generator, Usage
from bot.backends.embedders import CachedEmbedder
from bot.cache import AnswerCache, CacheKey, Flight, as_cached, cacheable, history_key
from bot.errors import QueueFullError
from bot.live import LiveIndex, View
from bot.plans import Corpus, Draft, named_document
from bot.plans.catalogue import plan_catalogue
from bot.queue import ModelQueue, Ticket, Waiting, ordinal
from bot.schema import Answer, Passage

WAIT_TICK_S = 1.0  # how often a waiting question hears where it stands
FALLBACK_MODEL = "extractive"


class Pipeline:
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

    def events(self, ask: Ask) -> Events:
        """The answer's stages, run as they are read (see :class:`AnswerStream`)."""
        return self._served(ask, self._live.current())

    def identical_running(self, ask: Ask) -> bool:
        """Whether an identical question is under way, so that this one would wait for it."""
        return ask.use_cache and self._cache.busy(self._cache_key(ask, self._live.current()))

    def queue(self, generator: Generator) -> ModelQueue | None:
        """The line for ``generator``; None when it answers any number at once."""
        if generator.concurrency is None:
            return None
        with self._lock:
            return self._queues.setdefault(
                generator.name, ModelQueue(generator.concurrency, self._queue_limit))

    # -- 1. cache ------------------------------------------------------------------------------
    def _served(self, ask: Ask, view: View) -> Events:
        if not ask.use_cache:
            return (yield from self._made(ask, view))
        started = time.perf_counter()
        found = self._cache.lead_or_wait(self._cache_key(ask, view))
        if isinstance(found, Answer):
            answer = as_cached(found, time.perf_counter() - started)
            yield answer.text  # a streaming reader gets the whole text at once
            return answer
        final = None
        try:
            final = yield from _touching(self._made(ask, view), found)
            return final
        finally:  # also when the reader stops early: waiters must not wait for nothing
            self._cache.finish(found, final if final is not None and cacheable(final) else None)

    def _cache_key(self, ask: Ask, view: View) -> CacheKey:
        contents = f"{view.state.collection_id}:{view.state.version}" if view.state else ""
        return CacheKey(ask.question, history_key([(t.role, t.content) for t in ask.turns]),
                        view.store.live_name, contents, ask.generator.name, ask.top_k,
                        ask.temperature, ask.max_tokens)

    # -- 2-5. everything before the model ------------------------------------------------------
    def _prepare(self, ask: Ask, view: View) -> _Prepared:
        started = time.perf_counter()
        corpus = view.corpus
        query = standalone_query(ask.question, ask.turns, corpus)
        catalogue = plan_catalogue(query, corpus)
        if catalogue is not None:  # about the documents themselves: no retrieval, no model
            request = self._request(ask, corpus, query, catalogue.passages, ())
            return _Prepared(request, catalogue, False, time.perf_counter() - started)
        shape = classify(query)
        breadth = shape.kind in BREADTH
        passages = view.retriever.retrieve(query, max(ask.top_k, BREADTH_K) if breadth
                                           else ask.top_k)
        request = self._request(ask, corpus, query, tuple(passages[:ask.top_k]),
                                corpus.absent_names(query))
        # Weak evidence abstains, unless the question names a document to list or summarise:
        # then the document is the evidence, whatever retrieval found.
        draft = (plan(shape, query, passages, corpus, self._embed.embed_documents)
                 if breadth and (not request.abstain or named_document(query, corpus))
                 else None)
        needs_model = draft is not None or not request.abstain
        return _Prepared(request, draft, needs_model, time.perf_counter() - started)

    def _request(self, ask: Ask, corpus: Corpus, query: str, passages: tuple[Passage, ...],
                 absent: tuple[str, ...]) -> AnswerRequest:
        return AnswerRequest(question=ask.question, query_used=query, passages=passages,
                             temperature=ask.temperature, max_tokens=ask.max_tokens,
                             model=ask.generator.name, absent=absent,
                             abstain=abstain_reason(passages, absent),
                             topic=self._live.settings.topic or library_topic(
                                 [d.title for d in corpus.documents.values()]))

    # -- 6. wait for the model -----------------------------------------------------------------
    def _made(self, ask: Ask, view: View) -> Events:
        """The answer: evidence gathered at once, then the model's turn waited for, then
        composed. Only the model's own work holds the line."""
        prepared = self._prepare(ask, view)
        queue = self.queue(ask.generator)
        if queue is None or not prepared.needs_model:
            return (yield from self._generate(prepared, ask.generator))
        try:
            ticket = queue.join()
        except QueueFullError as full:
            if ask.fallback_after_s is None:
                raise
            return (yield from self._fallback(prepared, f"the model's line is full ({full})"))
        try:
            too_long = yield from _wait_turn(ticket, ask.fallback_after_s)
            if too_long:
                ticket.leave()
                return (yield from self._fallback(prepared, too_long))
            return (yield from self._generate(prepared, _Turn(ask.generator, ticket)))
        finally:
            ticket.leave()  # a no-op when the model's stream already gave the place up

    def _fallback(self, prepared: _Prepared, why: str) -> Events:
        """The verified extractive answer over the same evidence, given at once because the
        model is busy."""
        return (yield from self._generate(prepared, self._generator(FALLBACK_MODEL), why))

    # -- 7-9. generate, check, build -----------------------------------------------------------
    def _generate(self, prepared: _Prepared, generator: Generator, fallback: str = "") -> Events:
        request = replace(prepared.request, model=generator.name)
        builder = AnswerBuilder(request, before_s=prepared.retrieval_s, fallback=fallback)
        embed = self._embed.embed_documents
        if prepared.draft is not None:
            return (yield from answer_breadth(request, prepared.draft, generator, embed,
                                              builder))
        return (yield from answer_fact(request, generator, embed, builder))


@dataclass(frozen=True)
class _Prepared:
    """A question's evidence and plan, ready for a generator to write the answer from."""

    request: AnswerRequest
    draft: Draft | None
    needs_model: bool
    retrieval_s: float


def _wait_turn(ticket: Ticket, fallback_after_s: float | None
               ) -> Steps[Waiting, None, str]:
    """Where the question stands, about once a second, until its turn comes (then "") or
    the wait expected is longer than ``fallback_after_s`` (then why)."""
    tick = 0.0  # the first look is at once: a wait too long to bear falls back now
    while not ticket.wait(tick):
        status, tick = ticket.status(), WAIT_TICK_S
        if fallback_after_s is not None and (status.estimate_s or 0) > fallback_after_s:
            return (f"{ordinal(status.position)} in line for the model, about "
                    f"{status.estimate_s:.0f} s to wait")
        yield status
    return ""


def _touching(events: Events, flight: Flight) -> Events:
    """``events``, touching the cache flight at each: waiting in line counts as progress, so
    nobody takes the answer over."""
    try:
        while True:
            try:
                event = next(events)
            except StopIteration as done:
                return done.value
            flight.touch()
            yield event
    finally:
        events.close()


class _Turn(Generator):
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
