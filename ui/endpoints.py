"""Everything citebot serves beside the web page: the /v1 OpenAI-compatible API and, with
the setting ``mcp`` on, the MCP tools at /mcp, sharing one key check and one queue."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.routing import BaseRoute

from bot.api import Bot
from ui.api_access import Gate
from ui.documents_api import documents_routes
from ui.openai_api import Lifespan, api_routes


def endpoints(bot: Bot) -> tuple[list[BaseRoute], Lifespan]:
    """The routes to add to a server, and the lifespan that server must run for them."""
    gate = Gate(bot.settings)
    routes = [*api_routes(bot, gate), *documents_routes(bot, gate)]
    lifespans: list[Lifespan] = []
    if bot.settings.mcp:
        from ui.mcp_server import mcp_endpoint

        route, lifespan = mcp_endpoint(bot, gate)
        routes.append(route)
        lifespans.append(lifespan)

    @contextlib.asynccontextmanager
    async def run_all(app: Any) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for lifespan in lifespans:
                await stack.enter_async_context(lifespan(app))
            yield

    return routes, run_all
