"""What the API and MCP tests share: a launched web app on loopback, and the check that a
citation's offsets cut exactly its quote out of the stored article."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.api import Bot


@contextmanager
def launched(bot: Bot) -> Iterator[str]:
    """The real web app (with its /v1 and /mcp routes) on the bot's loopback port."""
    from ui.app import build_app, launch

    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{bot.settings.port}"
    finally:
        app.close()


def assert_citations_resolve(bot: Bot, citations: list[dict[str, Any]]) -> None:
    """Every citation's [start:end] in its article is exactly its quote."""
    assert citations, "the answer cites nothing"
    for c in citations:
        document = bot.document(c["chunk_id"])
        assert document is not None and document.doc_id == c["doc_id"], c
        assert document.text[c["start"]:c["end"]] == c["quote"], c
        assert c["title"] and isinstance(c["heading_path"], list) and c["number"] >= 1
