"""The answer cache: a question asked again is answered from memory, with the same text and
citations, instead of spending the model's tokens on it again (on 2 cores tokens are the whole
budget: more llama.cpp slots do not raise throughput here).

The key holds everything that decides an answer: the cleaned question, the conversation before
it (the follow-up rewrite depends on it), the index (its name encodes the embedder and the
chunking; its contents version changes with every finished write, in any process), the model
and the settings that shape the answer. So a change to the index makes the next identical
question fresh without anyone clearing anything. Identical questions arriving while the first
is still being answered wait for that answer instead of generating it again (single flight).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.schema import Answer

STALL_S = 30.0
"""A question waiting for an identical one under way takes over when that one has shown no
progress for this long (its reader went away, say): waiting never hangs on a lost answer."""


@dataclass(frozen=True)
class CacheKey:
    question: str
    history: tuple[tuple[str, str], ...]
    index: str  # collection name: embedder, dimension and chunking
    contents: str  # collection id and contents version
    model: str
    top_k: int
    temperature: float
    max_tokens: int


class Flight:
    """One answer under way for a key: waiters wait on it; the leader touches it as it goes."""

    def __init__(self, key: CacheKey) -> None:
        self.key = key
        self.done = threading.Event()
        self.touched = time.monotonic()

    def touch(self) -> None:
        self.touched = time.monotonic()

    def stalled(self) -> bool:
        return time.monotonic() - self.touched > STALL_S


class AnswerCache:
    """A bounded, thread-safe LRU of finished answers, with single-flight waiting."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._answers: OrderedDict[CacheKey, Answer] = OrderedDict()
        self._running: dict[CacheKey, Flight] = {}
        self._lock = threading.Lock()

    def lead_or_wait(self, key: CacheKey) -> Answer | Flight:
        """The cached answer for ``key``, waiting first while an identical question is being
        answered; a Flight means the caller answers it, touching the Flight as it goes, and
        then calls :meth:`finish`."""
        while True:
            with self._lock:
                if key in self._answers:
                    self._answers.move_to_end(key)
                    return self._answers[key]
                running = self._running.get(key)
                if running is None or running.stalled():
                    flight = self._running[key] = Flight(key)
                    return flight
            running.done.wait(STALL_S / 10)
            # Finished: loop to take its answer, or to lead if it failed or stalled.

    def busy(self, key: CacheKey) -> bool:
        """Whether an identical question is being answered right now (and has not stalled):
        a caller can wait for it without taking an answering place (issue 24, item 1)."""
        with self._lock:
            running = self._running.get(key)
            return running is not None and not running.stalled()

    def finish(self, flight: Flight, answer: Answer | None) -> None:
        """Store the leader's answer (None: it failed, nothing stored) and wake the waiters."""
        with self._lock:
            if answer is not None:
                self._answers[flight.key] = answer
                self._answers.move_to_end(flight.key)
                while len(self._answers) > self.max_entries:
                    self._answers.popitem(last=False)
            if self._running.get(flight.key) is flight:  # not taken over meanwhile
                del self._running[flight.key]
        flight.done.set()

    def __len__(self) -> int:
        return len(self._answers)


def cacheable(answer: Answer) -> bool:
    """Only whole answers of the model asked are kept: not one cut short by a failing model,
    nor the quick extractive answer given while the model was busy."""
    return answer.complete and not answer.error and not answer.fallback


def as_cached(answer: Answer, seconds: float) -> Answer:
    """The stored answer as served again: marked, with its own (tiny) timings and the
    original ones kept under ``first_`` names."""
    original = {f"first_{k}": v for k, v in answer.timings.items()
                if not k.startswith("first_")}
    timings = {**original, "cache": seconds, "total": seconds, "first_content": seconds,
               "first_token": seconds}
    return replace(answer, cached=True, timings=timings)


def history_key(turns: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((role, content.strip()) for role, content in turns)
