"""Guards in front of the /v1 API and the MCP tools (issue 24, items 6 and 13).

- A JSON body is refused at its limit while it streams in (a 413), so a 300 MB chat body costs
  the server no more than the limit, not the body.
- ``SameOrigin``: a browser page from another site cannot call the API on a visitor's behalf.
  Browsers send ``Origin`` with every cross-site POST; SDKs and curl send none and pass, as do
  the server's own pages and the origins in the setting ``allowed_origins``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.settings import Settings
from ui.openai_schema import error_body
from ui.upload_intake import BodyLimit

MAX_JSON_BODY = 1_000_000
"""The most bytes a chat-completions or MCP request may send."""

JSON_ROUTES = ("/v1/chat/completions", "/mcp", "/mcp/")
GUARDED_PREFIXES = ("/v1/", "/mcp")
JSON_ADVICE = ("the request body is larger than {limit:,} bytes; send a shorter question or "
               "fewer messages")


class SameOrigin:
    """403 for a request to the API whose ``Origin`` is neither this server nor allowed."""

    def __init__(self, app: ASGIApp, *, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = {urlsplit(o).netloc.lower() or o.lower() for o in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(GUARDED_PREFIXES):
            headers = dict(scope.get("headers") or [])
            origin = headers.get(b"origin", b"").decode("latin-1")
            if origin and not self._same(origin, headers.get(b"host", b"").decode("latin-1")):
                await self._refuse(origin)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _same(self, origin: str, host: str) -> bool:
        netloc = urlsplit(origin).netloc.lower()
        return bool(netloc) and (netloc == host.lower() or netloc in self.allowed)

    @staticmethod
    def _refuse(origin: str) -> JSONResponse:
        return JSONResponse(error_body(
            f"requests from the web page at origin {origin!r} are not accepted: only this "
            "server's own pages may call the API from a browser; add the origin to the "
            "setting allowed_origins to allow it", code="origin_not_allowed"), 403)


def api_guards(settings: Settings) -> list[Any]:
    """The API's guards, for the server's ``middleware`` list."""
    from starlette.middleware import Middleware

    return [Middleware(SameOrigin, allowed=settings.allowed_origins),
            Middleware(BodyLimit, limit=MAX_JSON_BODY, paths=JSON_ROUTES, advice=JSON_ADVICE)]
