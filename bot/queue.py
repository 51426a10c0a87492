"""The line of questions waiting for a model, and how long the wait will be.

On 2 CPU cores the model answers one question at a time (more llama.cpp slots do not raise
throughput here), so the others wait. A :class:`ModelQueue` lets them wait in order and
says where each one stands: its place in line and an estimate of the wait, computed from how
long the model took over its last answers, not from a constant. That estimate is what the
web app shows, and what decides when a quick extractive answer beats waiting.
"""

from __future__ import annotations

import heapq
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass

from bot.errors import QueueFullError

RECENT = 20  # answers the estimate is taken from: enough to smooth, few enough to follow load


@dataclass(frozen=True)
class Waiting:
    """A stream event: the question is waiting for the model.

    ``position`` is its place in line (1 = next); ``estimate_s`` the expected wait before
    the model starts on it, or None while no answer has been timed yet; ``typical_s`` how
    long one answer has been taking (the median of the recent ones)."""

    position: int
    estimate_s: float | None
    typical_s: float | None


class ModelQueue:
    """First come, first served access to a model that answers ``capacity`` at once."""

    def __init__(self, capacity: int = 1, limit: int | None = None) -> None:
        if capacity < 1:
            raise ValueError(f"a model queue needs a capacity of at least 1, not {capacity}")
        self.capacity = capacity
        self.limit = limit  # most questions that may wait; None: no limit
        self._cond = threading.Condition()
        self._line: list[Ticket] = []
        self._serving: dict[Ticket, float] = {}  # ticket -> when its turn began
        self._recent: deque[float] = deque(maxlen=RECENT)

    def join(self) -> Ticket:
        """Take a place at the end of the line; QueueFullError when ``limit`` already wait
        (a clean refusal beats a wait nobody would sit through)."""
        ticket = Ticket(self)
        with self._cond:
            if self.limit is not None and len(self._line) >= self.limit:
                raise QueueFullError(
                    f"the queue is full: {len(self._line)} questions already wait for the "
                    "model; please try again in a minute (the setting queue_size says how "
                    "many may wait)")
            self._line.append(ticket)
        return ticket

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._line)

    def status(self, ticket: Ticket) -> Waiting:
        """Where ``ticket`` stands: its place in line and the expected wait."""
        with self._cond:
            position = self._line.index(ticket) + 1 if ticket in self._line else 0
            typical = self._typical()
            estimate = self._estimate(position, typical) if position else 0.0
        return Waiting(position, estimate, typical)

    def _estimate(self, position: int, typical: float | None) -> float | None:
        """When a free place reaches ``position``: each answer in progress is expected to
        take ``typical`` in all (at least a tenth of it is still to come), each one ahead
        in line ``typical`` more, spread over ``capacity`` places."""
        if typical is None:
            return None
        now = time.monotonic()
        free_at = [max(start + typical - now, typical / 10) for start in self._serving.values()]
        free_at += [0.0] * (self.capacity - len(free_at))
        heapq.heapify(free_at)
        for _ in range(position - 1):
            heapq.heappush(free_at, heapq.heappop(free_at) + typical)
        # Not rounded: a fast model's estimate of 0.04 s is still a wait, and a wait rounded
        # to 0 would never exceed any fallback threshold (the caller formats it for people).
        return free_at[0]

    def _typical(self) -> float | None:
        """The median of the recent answer times, or None before the first one (the caller
        holds the lock)."""
        return statistics.median(self._recent) if self._recent else None

    # -- used by Ticket ----------------------------------------------------------------------
    def _try_start(self, ticket: Ticket) -> bool:
        if ticket in self._serving:
            return True
        if self._line and self._line[0] is ticket and len(self._serving) < self.capacity:
            self._line.pop(0)
            self._serving[ticket] = time.monotonic()
            return True
        return False

    def _wait_turn(self, ticket: Ticket, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._try_start(ticket):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def _leave(self, ticket: Ticket, *, finished: bool) -> None:
        with self._cond:
            if ticket in self._line:
                self._line.remove(ticket)
            started = self._serving.pop(ticket, None)
            if started is not None and finished:
                self._recent.append(time.monotonic() - started)
            self._cond.notify_all()


class Ticket:
    """One question's place in a :class:`ModelQueue`; leave it when done (or giving up)."""

    def __init__(self, queue: ModelQueue) -> None:
        self._queue = queue

    def wait(self, timeout: float | None = None) -> bool:
        """Block until it is this question's turn (True) or ``timeout`` passes (False)."""
        return self._queue._wait_turn(self, timeout)

    def status(self) -> Waiting:
        return self._queue.status(self)

    def leave(self, *, finished: bool = False) -> None:
        """Give the place up; ``finished`` records how long the turn took (an answer that
        failed or was abandoned says nothing about how long answers take)."""
        self._queue._leave(self, finished=finished)


def ordinal(n: int) -> str:
    """A place in line in words: 1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
