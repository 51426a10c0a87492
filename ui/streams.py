"""A sync answer generator streamed from worker threads, closed whenever its reader stops.

``iterate_in_threadpool`` never closes the generator it steps: a client that goes away
mid-stream left the answer's ``finally`` blocks (the answer-cache flight, the model's place in
line) unrun until garbage collection, and identical questions waited on that flight for the
cache's 30 s stall timer (issue 24, item 1). :func:`closing_stream` closes it on every exit:
the end, an error, or the reader's cancellation.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Generator
from typing import Generic, TypeVar

from starlette.concurrency import iterate_in_threadpool

T = TypeVar("T")


class _Stepped(Generic[T]):
    """A generator stepped from any thread, one step at a time, that can be closed from any
    other: a close waits for the step under way (a running generator cannot be closed)."""

    def __init__(self, gen: Generator[T, None, None]) -> None:
        self._gen = gen
        self._lock = threading.Lock()
        self._closed = False

    def __iter__(self) -> _Stepped[T]:
        return self

    def __next__(self) -> T:
        with self._lock:
            if self._closed:
                raise StopIteration
            return next(self._gen)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._gen.close()

    def close_soon(self) -> None:
        """Close now if no step is under way, else as soon as it ends (in a thread of its
        own: the event loop must not wait for a step)."""
        if self._lock.acquire(blocking=False):
            try:
                self._closed = True
                self._gen.close()
            finally:
                self._lock.release()
            return
        threading.Thread(target=self.close, name="citebot-close-stream", daemon=True).start()


async def closing_stream(gen: Generator[T, None, None]) -> AsyncIterator[T]:
    """``gen``'s items, each made in a worker thread; ``gen`` is closed however this ends."""
    stepped = _Stepped(gen)
    try:
        async for item in iterate_in_threadpool(stepped):
            yield item
    finally:
        stepped.close_soon()
