"""The abuse suite for the HTTP surface: each test tries what a hostile or careless client
did to ``citebot serve`` (issue 24) against the real app on loopback with the extractive
backend, and is named by what it tries. Every loop is bounded and every request has a
timeout, so a regression shows as the case it re-opens, never as a hung run."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest
from pydantic import SecretStr

from bot.api import Bot
from bot.settings import Settings
from tests.conftest import free_port
from tests.ui.api_helpers import launched

CHAT = "/v1/chat/completions"
SERVER_KEY = "sk-citebot-abuse-7d21"


def body(question: str, **extra: object) -> dict[str, object]:
    return {"model": "citebot", "messages": [{"role": "user", "content": question}], **extra}


@pytest.fixture(scope="module")
def open_server(built_index: Settings) -> Iterator[tuple[str, Bot]]:
    """No key, no login (the loopback default), the answer cache on, MCP on."""
    settings = built_index.with_overrides(port=free_port(), model="extractive", mcp=True,
                                          answer_cache=True)
    bot = Bot(settings)
    with launched(bot) as url:
        yield url, bot


def drop_after_first_chunk(url: str, question: str) -> None:
    with httpx.stream("POST", url + CHAT, json=body(question, stream=True),
                      timeout=30) as reply:
        assert reply.status_code == 200
        for line in reply.iter_lines():
            if line.startswith("data: "):
                return  # the client goes away after the first chunk


def test_dropping_four_streams_early_does_not_stall_other_questions(
        open_server: tuple[str, Bot]) -> None:
    url, _ = open_server
    for _ in range(4):
        drop_after_first_chunk(url, "What are the ethical concerns of generative AI?")
    started = time.monotonic()
    reply = httpx.post(url + CHAT, json=body("What does RLHF stand for?"), timeout=90)
    seconds = time.monotonic() - started
    assert reply.status_code == 200, reply.text
    assert seconds < 5, f"a different question took {seconds:.1f} s after 4 dropped streams"


def test_streams_dropped_early_leave_no_answer_flight_open(open_server: tuple[str, Bot]) -> None:
    """The mechanism behind the stall: a dropped stream's answer is closed at once, so an
    identical question does not wait on it."""
    url, bot = open_server
    question = "What can generative AI create besides text?"
    drop_after_first_chunk(url, question)
    deadline = time.monotonic() + 5
    while bot.identical_running(question) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not bot.identical_running(question), "the dropped stream's flight is still open"


def test_usage_is_in_every_chat_reply_and_the_last_stream_chunk(
        open_server: tuple[str, Bot]) -> None:
    url, _ = open_server
    plain = httpx.post(url + CHAT, json=body("What does RLHF stand for?"), timeout=60).json()
    assert set(plain["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    with httpx.stream("POST", url + CHAT, timeout=60, json=body(
            "What does RLHF stand for?", stream=True,
            stream_options={"include_usage": True})) as reply:
        data = [json.loads(line[6:]) for line in reply.iter_lines()
                if line.startswith("data: {")]
    assert data[-1]["choices"] == [] and data[-1]["usage"]["total_tokens"] >= 0
    assert all("usage" not in d for d in data[:-1])


def test_deeply_nested_json_body_is_a_400_not_a_500(open_server: tuple[str, Bot]) -> None:
    url, _ = open_server
    nested = "[" * 200_000 + "]" * 200_000
    reply = httpx.post(url + CHAT, content=nested.encode(), timeout=60,
                       headers={"Content-Type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert "nested too deeply" in reply.json()["error"]["message"]


@pytest.mark.parametrize("text", [42, {"q": "What does RLHF stand for?"}, None])
def test_a_non_string_text_part_is_a_400(open_server: tuple[str, Bot], text: object) -> None:
    url, _ = open_server
    reply = httpx.post(url + CHAT, timeout=60, json={"model": "citebot", "messages": [
        {"role": "user", "content": [{"type": "text", "text": text}]}]})
    assert reply.status_code == 400, reply.text
    message = reply.json()["error"]["message"]
    assert "not a string" in message and json.dumps(text) in message


def test_mcp_ask_with_a_failing_model_is_an_error(built_index: Settings) -> None:
    from tests.ui.test_api_limits import FailingGenerator
    from tests.ui.test_mcp import KEY, session

    settings = built_index.with_overrides(port=free_port(), model="extractive", api_key=KEY)
    bot = Bot(settings, generators={"extractive": FailingGenerator()})
    with launched(bot) as url:
        _, asked = asyncio.run(session(url, [("ask", {"question": "What does RLHF stand for?"})]))
    assert asked.is_error, asked
    assert "stopped answering" in asked.content[0].text


@pytest.fixture(scope="module")
def key_only(built_index: Settings) -> Iterator[str]:
    settings = built_index.with_overrides(port=free_port(), model="extractive",
                                          api_key=SecretStr(SERVER_KEY))
    with launched(Bot(settings)) as url:
        yield url


def test_with_only_an_api_key_anonymous_gradio_queue_calls_are_refused(key_only: str) -> None:
    anonymous = [
        httpx.post(key_only + "/gradio_api/upload", timeout=30,
                   files={"files": ("notes.md", b"# Notes\n\nanonymous upload\n")}),
        httpx.post(key_only + "/gradio_api/queue/join", timeout=30,
                   json={"data": [], "fn_index": 0, "session_hash": "abuse"}),
        httpx.post(key_only + "/gradio_api/call/ask", timeout=30,
                   json={"data": ["What does RLHF stand for?", "", 0]}),
        httpx.get(key_only + "/gradio_api/openapi.json", timeout=30),
        httpx.get(key_only + "/config", timeout=30),
    ]
    for reply in anonymous:
        assert reply.status_code in (401, 403), (reply.url, reply.status_code)
        assert "RLHF" not in reply.text


def test_with_only_an_api_key_the_key_signs_in_to_the_web_app(key_only: str) -> None:
    with httpx.Client(base_url=key_only, timeout=60) as web:
        assert web.post("/login", data={"username": "x", "password": "wrong"}).status_code == 400
        assert web.post("/login", data={"username": "x", "password": SERVER_KEY}).is_success
        assert web.post("/gradio_api/call/ask", json={
            "data": ["What does RLHF stand for?", "", 0]}).status_code == 200


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counting.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"object": "list", "data": []}')

    def log_message(self, *_args: object) -> None:
        pass


def test_listing_models_makes_no_outbound_call_unless_the_hosted_backend_is_configured(
        open_server: tuple[str, Bot], built_index: Settings) -> None:
    url, _ = open_server
    models = httpx.get(url + "/v1/models", timeout=30).json()["data"]
    hosted = next(m for m in models if m["id"] == "citebot-openai")["citebot"]
    assert not hosted["ready"] and "no call made" in hosted["detail"]
    # Configured (a local OpenAI-compatible server): checked, once for many listings.
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    settings = built_index.with_overrides(
        port=free_port(), model="extractive",
        openai_base_url=f"http://127.0.0.1:{upstream.server_address[1]}/v1")
    try:
        with launched(Bot(settings)) as configured:
            for _ in range(5):
                assert httpx.get(configured + "/v1/models", timeout=30).status_code == 200
    finally:
        upstream.shutdown()
    assert 1 <= len(_Counting.hits) <= 2, _Counting.hits  # the app's start may check once
