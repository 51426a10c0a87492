"""The MCP server: tools ``ask`` and ``search`` at ``/mcp`` (Streamable HTTP), on the same
server as the web app and the /v1 API, behind the same key and queue (:class:`Gate`).

Built on the official ``mcp`` package rather than Gradio's ``launch(mcp_server=True)``:
Gradio mounts its MCP endpoint without its login check, turns every public API function
into a tool (with Gradio's own descriptions), and calls queued tools back through an
internal HTTP client that a login would lock out.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.api import Bot
from bot.errors import CitebotError, InputError
from bot.schema import Passage
from ui.api_access import Gate, QueueFull
from ui.openai_api import Lifespan, refusal_response, wait_for_identical
from ui.openai_schema import DEFAULT_MODEL, UnknownModel, extension, model_names, parse_call

PATH = "/mcp"
MAX_SEARCH = 20
ASK = " ".join("""Answer a question from the documents indexed in citebot, with a numbered
source for every sentence. Returns `text` (the answer, with [n] markers), `citations` (for
each n: doc_id, title, heading_path, quote, and start/end character offsets of the quote in
the document), `abstained` (true when the documents don't cover the question: `text` then
says so and what they do say nearby), `query_used` (the
search after follow-up rewriting), `sentences` with their support verdicts, and `timings`.
Pass earlier turns as `history` ([{"role": "user"|"assistant", "content": ...}]) for a
follow-up question; `model` picks a backend listed at /v1/models (default: the server's).
""".split())
SEARCH = " ".join("""Search citebot's articles (hybrid dense + BM25 retrieval) without generating an
answer. Returns `passages`, best first, each with `doc_id`, `title`, `heading_path`,
`start`/`end` (character offsets of the passage in the article), `text`, `score` and
`chunk_id`. `k` is how many passages (1-20, default 5).
""".split())


def passage_dict(passage: Passage) -> dict[str, Any]:
    chunk = passage.chunk
    return {"doc_id": chunk.doc_id, "title": chunk.title,
            "heading_path": list(chunk.heading_path), "start": chunk.start, "end": chunk.end,
            "text": passage.text, "score": round(passage.score, 4), "chunk_id": chunk.chunk_id}


def build_mcp(bot: Bot, gate: Gate) -> Any:
    """The MCPServer with the two tools; each call takes a place in the gate's queue."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("citebot", instructions="Answers from the indexed documents with "
                       "citations; `search` finds passages, `ask` answers from them.")

    async def ask(question: str, history: list[dict[str, str]] | None = None,
                  model: str = "") -> dict[str, Any]:
        # The same validation as /v1 (roles, limits, cleaning, model names), on the same
        # messages a chat-completions client would send.
        messages = [*(history or ()), {"role": "user", "content": question}]
        try:
            call = parse_call(bot, {"model": model or DEFAULT_MODEL, "messages": messages})
        except UnknownModel:
            raise ToolError(f"model '{model}' does not exist; choose one of: "
                            + ", ".join(model_names(bot))) from None
        except CitebotError as exc:
            raise ToolError(str(exc)) from None
        await wait_for_identical(bot, call)  # before a place, not holding one
        async with _queued(gate):
            answer = await run_in_threadpool(bot.ask, call.question, call.history,
                                             model=call.backend)
        if answer.error and not answer.text:  # a failed model is an error, not an answer
            raise ToolError(f"the model failed: {answer.error}")
        return extension(answer)

    async def search(query: str, k: int = 5) -> dict[str, Any]:
        async with _queued(gate):
            if not 1 <= k <= MAX_SEARCH:
                raise InputError(f"k = {k}: ask for 1 to {MAX_SEARCH} passages")
            passages = await run_in_threadpool(bot.retrieve, query, k)
        return {"query": query, "passages": [passage_dict(p) for p in passages]}

    server.add_tool(ask, name="ask", description=ASK)
    server.add_tool(search, name="search", description=SEARCH)
    return server


@contextlib.asynccontextmanager
async def _queued(gate: Gate) -> AsyncIterator[None]:
    """A place in the gate's queue; citebot's errors become ToolErrors, which MCP hands
    to the caller as an ``is_error`` result with the message (anything else is a crash,
    whose text stays in the server's log)."""
    from mcp.server.mcpserver.exceptions import ToolError

    try:
        async with gate.slot():
            yield
    except QueueFull as exc:
        raise ToolError(exc.refusal.message) from None
    except CitebotError as exc:
        raise ToolError(str(exc)) from None


class _Guarded:
    """The MCP endpoint behind the gate's key check (an ASGI app)."""

    def __init__(self, app: Any, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        refused = self.gate.check(headers.get(b"authorization", b"").decode("latin-1"))
        if refused:
            await refusal_response(refused)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mcp_endpoint(bot: Bot, gate: Gate) -> tuple[Route, Lifespan]:
    """The ``/mcp`` route and the lifespan that runs its session manager (a mounted app's
    own lifespan is not run by the host app, so the host must run this one)."""
    from mcp.server.streamable_http_manager import StreamableHTTPASGIApp

    server = build_mcp(bot, gate)
    # Stateless: every call stands alone (no server-side sessions to expire or leak); the
    # app is built for its session manager, the route is ours so the key check wraps it.
    server.streamable_http_app(streamable_http_path=PATH, stateless_http=True,
                               host=bot.settings.host)
    manager = server.session_manager

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        async with manager.run():
            yield

    return Route(PATH, _Guarded(StreamableHTTPASGIApp(manager), gate)), lifespan
