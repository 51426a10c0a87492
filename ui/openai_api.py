"""The OpenAI-compatible API: ``POST /v1/chat/completions`` and ``GET /v1/models``.

``api_routes(bot)`` gives the routes; ``citebot serve`` puts them on the web app's own
FastAPI server and ``citebot api`` serves them alone (:func:`build_api_app`). Every answer
comes from the same ``Bot.stream`` the chat uses. Errors are OpenAI-shaped
(``{"error": {...}}``) with OpenAI's status codes. No gradio here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Generator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from bot.answering.stream import AnswerStream
from bot.api import Bot
from bot.backends.base import Availability
from bot.cache import STALL_S
from bot.errors import (
    CitebotError,
    ConfigError,
    GenerationError,
    InputError,
    ModelUnavailableError,
    QueueFullError,
)
from bot.schema import Answer
from ui.api_access import Gate, Refusal
from ui.guards import MAX_JSON_BODY
from ui.openai_schema import (
    ChatCall,
    UnknownModel,
    chunks,
    completion,
    error_body,
    failed,
    model_names,
    parse_call,
)
from ui.streams import closing_stream
from ui.upload_intake import BodyTooLarge

log = logging.getLogger(__name__)
INTERNAL_ERROR = "something went wrong inside citebot (it is logged); please try again"
IDENTICAL_POLL_S = 0.1
MODELS_TTL_S = 30.0


def refusal_response(refusal: Refusal) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
    return JSONResponse(error_body(refusal.message, refusal.type, refusal.code),
                        status_code=refusal.status, headers=headers)


def error_response(exc: Exception) -> JSONResponse:
    """citebot's errors as OpenAI's: bad input 400, unknown model 404, a model that failed
    502, a backend or index that cannot serve 503; anything else is a logged 500 without
    internals."""
    if isinstance(exc, UnknownModel):
        return JSONResponse(error_body(f"model '{exc}' does not exist; GET /v1/models lists "
                                       "the ones here", code="model_not_found", param="model"),
                            status_code=404)
    if isinstance(exc, BodyTooLarge):  # cut off while streaming in (ui/guards.py)
        return JSONResponse(error_body(str(exc), code="too_large"), status_code=413)
    if isinstance(exc, InputError):
        return JSONResponse(error_body(str(exc)), status_code=400)
    if isinstance(exc, GenerationError):
        return JSONResponse(error_body(f"the model failed: {exc}", "server_error",
                                       "generation_failed"), status_code=502)
    if isinstance(exc, QueueFullError):  # the code OpenAI clients know to retry later
        return JSONResponse(error_body(str(exc), "server_error", "queue_full"), 503)
    if isinstance(exc, ModelUnavailableError | ConfigError):
        return JSONResponse(error_body(str(exc), "server_error", "model_unavailable"), 503)
    if isinstance(exc, CitebotError):
        return JSONResponse(error_body(str(exc), "server_error", "unavailable"), 503)
    log.error("the API failed", exc_info=exc)
    return JSONResponse(error_body(INTERNAL_ERROR, "server_error"), status_code=500)


class ChatAPI:
    """The handlers, holding the bot and the gate (key check and queue)."""

    def __init__(self, bot: Bot, gate: Gate) -> None:
        self.bot = bot
        self.gate = gate
        self._models: tuple[float, list[tuple[str, str, Availability]]] | None = None

    async def models(self, request: Request) -> Response:
        refused = self.gate.check(request.headers.get("authorization"))
        if refused:
            return refusal_response(refused)
        rows = await self._model_rows()
        ready = {name: (availability.ready, availability.detail) for name, _, availability in rows}
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "citebot",
                 "citebot": {"backend": backend, "ready": ready.get(backend, (False, ""))[0],
                             "detail": ready.get(backend, (False, ""))[1]}}
                for name, backend in model_names(self.bot).items()]
        return JSONResponse({"object": "list", "data": data})

    async def _model_rows(self) -> list[tuple[str, str, Availability]]:
        """The backends and whether each can run, checked at most every MODELS_TTL_S: a
        check may be a call to another server, which a poller must not repeat each time."""
        now = time.monotonic()
        if self._models is None or now - self._models[0] > MODELS_TTL_S:
            self._models = (now, await run_in_threadpool(self.bot.models))
        return self._models[1]

    async def chat(self, request: Request) -> Response:
        refused = self.gate.check(request.headers.get("authorization"))
        if refused:
            return refusal_response(refused)
        try:
            call = await self._call(request)
        except Exception as exc:  # every refusal becomes an OpenAI-shaped reply
            return error_response(exc)
        refused = self.gate.admit()
        if refused:
            return refusal_response(refused)
        if call.stream:
            leave = _Once(self.gate.leave)  # the stream's end, or the response's, if never run
            return StreamingResponse(self._sse(call, leave), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"},
                                     background=BackgroundTask(leave))
        try:
            await wait_for_identical(self.bot, call)
            async with self.gate.running():
                answer = await run_in_threadpool(self._answer, call)
        except Exception as exc:
            return error_response(exc)
        finally:
            self.gate.leave()
        return JSONResponse(completion(call, answer))

    async def _call(self, request: Request) -> ChatCall:
        raw = await request.body()
        if len(raw) > MAX_JSON_BODY:
            raise InputError(f"the request body is {len(raw):,} bytes; the limit is "
                             f"{MAX_JSON_BODY:,}")
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"the request body is not valid JSON: {exc}") from None
        except RecursionError:
            raise InputError("the request body is JSON nested too deeply to read; send a "
                             "chat-completions body (messages is a list of objects)") from None
        call = parse_call(self.bot, body)
        # Fail before any byte of a stream is sent, so the status code can still say why.
        await run_in_threadpool(self.bot.generator, call.backend)
        return call

    def _stream(self, call: ChatCall) -> AnswerStream:
        return self.bot.stream(call.question, call.history, model=call.backend,
                               temperature=call.temperature, max_tokens=call.max_tokens)

    def _answer(self, call: ChatCall) -> Answer:
        with self._stream(call) as stream:
            return failed(stream.answer())

    def _chunks(self, call: ChatCall) -> Generator[dict[str, Any], None, None]:
        with self._stream(call) as stream:
            yield from chunks(call, stream)

    async def _sse(self, call: ChatCall, leave: Callable[[], None]) -> AsyncIterator[str]:
        """The stream; the answer is closed (its cache flight finished, its place given up)
        however the stream ends, a client that went away included."""
        try:
            await wait_for_identical(self.bot, call)
            async with self.gate.running():
                try:
                    async for chunk in closing_stream(self._chunks(call)):
                        yield f"data: {json.dumps(chunk)}\n\n"
                except Exception as exc:  # the status is sent; the error goes in the stream
                    yield f"data: {bytes(error_response(exc).body).decode()}\n\n"
                yield "data: [DONE]\n\n"
        finally:
            leave()


class _Once:
    """``action`` run at most once, however many of its callers end."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action: Callable[[], None] | None = action

    def __call__(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()


async def wait_for_identical(bot: Bot, call: ChatCall) -> None:
    """Wait, without an answering place, while the same question is being answered (its
    answer will be this one's, from the cache): a waiter holding one of the few places would
    keep unrelated questions out for as long as that answer takes. Bounded by the cache's
    stall timer, after which this question answers itself."""
    deadline = time.monotonic() + STALL_S
    while time.monotonic() < deadline and await run_in_threadpool(
            bot.identical_running, call.question, call.history, model=call.backend,
            temperature=call.temperature, max_tokens=call.max_tokens):
        await asyncio.sleep(IDENTICAL_POLL_S)


def api_routes(bot: Bot, gate: Gate) -> list[BaseRoute]:
    """The /v1 routes for ``bot``, ready to put on any Starlette or FastAPI app."""
    api = ChatAPI(bot, gate)
    return [Route("/v1/models", api.models, methods=["GET"]),
            Route("/v1/chat/completions", api.chat, methods=["POST"])]


Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


def build_api_app(routes: Sequence[BaseRoute], lifespan: Lifespan) -> Any:
    """A server of these routes alone (``citebot api``: no web page)."""
    from fastapi import FastAPI

    return FastAPI(title="citebot API", docs_url=None, redoc_url=None, openapi_url=None,
                   routes=list(routes), lifespan=lifespan)
