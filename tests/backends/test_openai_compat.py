"""The `openai` backend against real OpenAI-compatible servers on 127.0.0.1: llama.cpp's
server in a separate process with the packaged model, and small misbehaving HTTP servers
for the failure cases (down, slow, erroring, dying mid-stream)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.api import Bot
from bot.backends.base import GenerationRequest, Message
from bot.backends.openai_compat import OpenAICompatibleGenerator
from bot.errors import GenerationError
from bot.settings import Settings
from tests.conftest import free_port

REQUEST = GenerationRequest(messages=(Message("user", "Say hello."),), question="Say hello.",
                            evidence=(), max_tokens=16)


def test_answers_through_a_separate_llama_cpp_server(built_index: Settings,
                                                     model_server: str) -> None:
    settings = built_index.with_overrides(model="openai", openai_base_url=model_server,
                                          openai_model="local")
    bot = Bot(settings)
    assert bot.generator().check().ready
    answer = bot.ask("What does RLHF stand for?")
    assert "reinforcement learning from human feedback" in answer.text.lower()
    assert answer.citations and not answer.abstained and answer.complete


def test_generation_ends_before_a_stop_sequence(model_server: str) -> None:
    """A breadth answer's closing asks for one line (``stop`` = a newline); the real server
    ends there, so the model writes no list the structure already holds."""
    generator = OpenAICompatibleGenerator(model_server, "local", api_key=None, timeout=120)
    ask = "List the numbers one to five, each on its own line, as digits only."
    request = GenerationRequest(messages=(Message("user", ask),), question=ask, evidence=(),
                                temperature=0.0, max_tokens=40)
    free = "".join(p for p in generator.stream(request) if isinstance(p, str))
    assert free.count("\n") >= 2  # left alone, the model writes the lines asked for
    stopped = "".join(p for p in generator.stream(replace(request, stop=("\n",)))
                      if isinstance(p, str))
    assert "\n" not in stopped.strip() and stopped.strip() and len(stopped) < len(free)


Handler = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture
def http_server() -> Iterator[Callable[[Handler], str]]:
    """Start a loopback HTTP server whose POST behaviour the test chooses."""
    servers: list[ThreadingHTTPServer] = []

    def start(on_post: Handler) -> str:
        class Handler_(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                on_post(self)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler_)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()


def test_server_down_is_a_clear_message() -> None:
    generator = OpenAICompatibleGenerator(f"http://127.0.0.1:{free_port()}/v1", "m",
                                          api_key=None, timeout=5)
    with pytest.raises(GenerationError, match=r"cannot reach the model server at .*running"):
        list(generator.stream(REQUEST))
    assert not generator.check().ready


def test_slow_server_times_out_with_a_clear_message(http_server: Callable[[Handler], str]) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(3)

    generator = OpenAICompatibleGenerator(http_server(slow), "m", api_key=None, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(GenerationError, match=r"did not answer within 0.5 s"):
        list(generator.stream(REQUEST))
    assert time.monotonic() - started < 3


def test_error_status_is_reported_with_its_code(http_server: Callable[[Handler], str]) -> None:
    def failing(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps({"error": {"message": "model overloaded", "type": "server_error"}})
        handler.send_response(503)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        handler.wfile.write(body.encode())

    generator = OpenAICompatibleGenerator(http_server(failing), "m", api_key="sk-test-key",
                                          timeout=5)
    with pytest.raises(GenerationError, match="HTTP 503") as info:
        list(generator.stream(REQUEST))
    assert "sk-test-key" not in str(info.value)


def _sse(handler: BaseHTTPRequestHandler, pieces: list[str], *, die: bool) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()
    for piece in pieces:
        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                 "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        handler.wfile.flush()
    if die:
        handler.wfile.write(b"data: {broken")
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
        return
    stop = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    handler.wfile.write(f"data: {json.dumps(stop)}\n\ndata: [DONE]\n\n".encode())


def test_mid_stream_failure_keeps_the_partial_text_marked_incomplete(
        built_index: Settings, http_server: Callable[[Handler], str]) -> None:
    broken = [True]
    text = ["RLHF stands for Reinforcement ", "Learning from Human Feedback [1]."]
    url = http_server(lambda h: _sse(h, text[:1] if broken[0] else text, die=broken[0]))
    bot = Bot(built_index.with_overrides(model="openai", openai_base_url=url, openai_timeout=30))
    stream = bot.stream("What does RLHF stand for?")
    streamed, answer = list(stream), stream.answer()
    assert streamed == text[:1]  # what arrived was streamed to the user...
    assert not answer.complete and "stopped in the middle" in answer.error
    assert not answer.abstained  # ...and kept, checked and cited, marked incomplete
    assert answer.text.startswith("RLHF stands for Reinforcement"), answer.text
    assert answer.citations and "Reinforcement Learning" in answer.citations[0].quote
    broken[0] = False  # the server recovers: the next question works with the same bot
    answer2 = bot.ask("What does RLHF stand for?")
    assert answer2.complete and not answer2.error
    assert "Reinforcement Learning from Human Feedback" in answer2.text
