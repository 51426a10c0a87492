"""A throttle on the web app's login (issue 24, item 13): past ``attempts`` wrong passwords
from one address within ``window_s`` seconds, that address's logins get a 429 with
Retry-After until its oldest counted failure has left the window, without the password being
checked, so guessing the password (or the API key, which signs in when only a key is set)
runs at a few tries a minute, not thousands."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings
from ui.openai_schema import error_body

LOGIN_PATHS = ("/login", "/login/")
WRONG_PASSWORD = 400  # Gradio's /login answers a wrong name or password with a 400
TRACKED_ADDRESSES = 10_000
"""Addresses remembered at once; past it the least recently failed is forgotten, so a flood
of addresses costs bounded memory."""


class LoginThrottle:
    """ASGI middleware counting wrong passwords per client address."""

    def __init__(self, app: ASGIApp, *, attempts: int, window_s: float) -> None:
        self.app, self.attempts, self.window_s = app, attempts, window_s
        self.failures: dict[str, deque[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope.get("method") != "POST"
                or scope.get("path") not in LOGIN_PATHS):
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("unknown",))[0]
        wait = self._wait(address, time.monotonic())
        if wait > 0:
            await self._refuse(wait)(scope, receive, send)
            return

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == WRONG_PASSWORD:
                self._count(address, time.monotonic())
            await send(message)

        await self.app(scope, receive, watched)

    def _wait(self, address: str, now: float) -> float:
        """Seconds until ``address`` may try again (0: now)."""
        failures = self.failures.get(address)
        if not failures:
            return 0.0
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self.failures[address]
            return 0.0
        return failures[0] + self.window_s - now if len(failures) >= self.attempts else 0.0

    def _count(self, address: str, now: float) -> None:
        failures = self.failures.pop(address, deque())
        failures.append(now)
        self.failures[address] = failures  # re-inserted: the dict's order is least recent first
        while len(self.failures) > TRACKED_ADDRESSES:
            del self.failures[next(iter(self.failures))]

    def _refuse(self, wait: float) -> JSONResponse:
        seconds = max(1, math.ceil(wait))
        return JSONResponse(
            error_body(f"too many wrong passwords from this address ({self.attempts} within "
                       f"{self.window_s:g} s): try again in {seconds} s",
                       code="too_many_logins"),
            status_code=429, headers={"Retry-After": str(seconds)})


def login_throttle(settings: Settings) -> list[Any]:
    """The throttle, for the server's ``middleware`` list."""
    from starlette.middleware import Middleware

    return [Middleware(LoginThrottle, attempts=settings.login_attempts,
                       window_s=settings.login_window_s)]
