"""Who may use the /v1 API and the MCP tools, and how many questions they may have in flight.

Both are separate from the web app's login on purpose: a browser session cookie does not
open the API, and the API key does not open the web app. One :class:`Gate` per server is
shared by the API and the MCP tools, so the same key and the same queue apply to both.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.settings import Settings

RUNNING = 2
"""Questions answered at once through the API, as in the web app's queue: on 2 cores a third
concurrent answer only slows the other two down (STACK-NOTES: llama.cpp slots)."""


@dataclass(frozen=True)
class Refusal:
    """Why a request is turned away: HTTP status, OpenAI error type and code, and a message
    that says what to do."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None


class QueueFull(Exception):
    """Raised by :meth:`Gate.slot` when the line is full; carries the refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class Gate:
    """The bearer-key check and the queue.

    Key: with ``api_key`` set, every request must send it; without one the API is open (it
    is bound to loopback by default), unless the web app has a login: then it stays closed
    rather than letting anyone past the login through /v1.

    Queue: at most ``RUNNING`` answers at once and ``queue_size`` more waiting; beyond that a
    request is refused at once (503) instead of piling up. Used only from the event loop.
    """

    def __init__(self, settings: Settings, running: int = RUNNING) -> None:
        self._key = settings.api_key.get_secret_value() if settings.api_key else ""
        self._login = bool(settings.auth_username and settings.auth_password)
        self._limit = running + settings.queue_size
        self._held = 0
        self._running = asyncio.Semaphore(running)

    def check(self, authorization: str | None) -> Refusal | None:
        """None when the ``Authorization`` header value lets the request through."""
        if not self._key and not self._login:
            return None
        if not self._key:
            return _unauthorized("the web app has a login, so the API needs its own key: set "
                                 "CITEBOT_API_KEY on the server and send 'Authorization: "
                                 "Bearer <key>'")
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _unauthorized("missing API key: send 'Authorization: Bearer <key>' with "
                                 "the key set in CITEBOT_API_KEY on the server")
        if not hmac.compare_digest(given.strip().encode(), self._key.encode()):
            return _unauthorized("wrong API key: send the key set in CITEBOT_API_KEY on the "
                                 "server")
        return None

    def admit(self) -> Refusal | None:
        """Take a place in line, or say why not; every admitted request calls :meth:`leave`."""
        if self._held >= self._limit:
            return Refusal(503, f"citebot's queue is full ({self._held} questions are being "
                           "answered or waiting); try again in a few seconds, or raise the "
                           "setting queue_size", "server_error", "queue_full")
        self._held += 1
        return None

    def leave(self) -> None:
        self._held = max(0, self._held - 1)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Wait for one of the ``RUNNING`` places (after :meth:`admit`)."""
        async with self._running:
            yield

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Admit, wait to run, run, leave; QueueFull when the line is full."""
        refused = self.admit()
        if refused:
            raise QueueFull(refused)
        try:
            async with self._running:
                yield
        finally:
            self.leave()


def _unauthorized(message: str) -> Refusal:
    return Refusal(401, message, code="invalid_api_key")
