"""The MCP tools on a launched web app, through the official ``mcp`` Python client (over
Streamable HTTP, with the API key): list, ask, search; and without the key, nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bot.api import Bot
from bot.settings import Settings
from tests.conftest import free_port
from tests.ui.api_helpers import assert_citations_resolve, launched

KEY = "sk-citebot-mcp-91c2"


@pytest.fixture(scope="module")
def served(built_index: Settings) -> Iterator[tuple[str, Bot]]:
    settings = built_index.with_overrides(port=free_port(), model="extractive", api_key=KEY)
    bot = Bot(settings)
    with launched(bot) as url:
        yield url, bot


async def session(url: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Connect with the key, list the tools, then make ``calls`` in order."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
    async with http, Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
        results: list[Any] = [await client.list_tools()]
        for name, arguments in calls:
            results.append(await client.call_tool(name, arguments))
        return results


def test_lists_the_tools_and_ask_and_search_answer(served: tuple[str, Bot]) -> None:
    url, bot = served
    tools, asked, searched, follow_up, *refused = asyncio.run(session(url, [
        ("ask", {"question": "What does RLHF stand for?"}),
        ("search", {"query": "RLHF human feedback", "k": 3}),
        ("ask", {"question": "And what are its applications?",
                 "history": [{"role": "user", "content": "What is generative AI?"}]}),
        ("ask", {"question": "   "}),
        ("ask", {"question": "What is an LLM?", "model": "gpt-9"}),
        ("ask", {"question": "What is an LLM?", "history": [{"role": "wizard", "content": "x"}]}),
        ("search", {"query": "RLHF", "k": 99}),
    ]))
    described = {tool.name: tool.description or "" for tool in tools.tools}
    assert set(described) == {"ask", "search"}
    assert "citations" in described["ask"] and "abstained" in described["ask"]
    assert "heading_path" in described["search"] and "passages" in described["search"]
    assert not asked.is_error
    answer = asked.structured_content
    assert "Reinforcement Learning from Human Feedback" in answer["text"]
    assert not answer["abstained"]
    assert_citations_resolve(bot, answer["citations"])
    passages = searched.structured_content["passages"]
    assert len(passages) == 3 and "RLHF" in passages[0]["text"]
    for p in passages:
        document = bot.document(p["chunk_id"])
        assert document is not None and p["text"].endswith(document.text[p["start"]:p["end"]])
        assert p["title"] and isinstance(p["heading_path"], list) and p["doc_id"]
    assert follow_up.structured_content["query_used"] == "What are generative AI's applications?"
    expected = ["the question is empty", "model 'gpt-9' does not exist",
                "role 'wizard' is not supported", "ask for 1 to 20 passages"]
    for result, words in zip(refused, expected, strict=True):
        assert result.is_error and words in result.content[0].text, result.content


def test_without_the_key_the_mcp_endpoint_refuses(served: tuple[str, Bot]) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    for auth in ({}, {"Authorization": "Bearer sk-wrong"}):
        reply = httpx.post(served[0] + "/mcp", json=body, headers={**headers, **auth},
                           timeout=30)
        assert reply.status_code == 401 and "API key" in reply.json()["error"]["message"]
