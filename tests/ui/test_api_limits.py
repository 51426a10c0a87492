"""The API's queue, its default closure and its failures: a full queue is an OpenAI-shaped
503 that clears once answers finish; a web app with a login and no API key keeps /v1 and /mcp
shut; a model that fails is a 502 (or an error event in a stream), never an empty answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

import httpx
import openai
import pytest

from bot.api import Bot
from bot.backends.base import Availability, GenerationRequest, Generator
from bot.backends.extractive import ExtractiveGenerator
from bot.errors import GenerationError
from bot.settings import Settings
from tests.conftest import free_port
from tests.ui.api_helpers import launched

BODY = {"model": "citebot", "messages": [{"role": "user", "content": "What does RLHF stand for?"}]}


class HeldGenerator(Generator):
    """The extractive backend, holding every answer until the test opens the gate: a real
    backend (through the registry's lending hook), slow on demand."""

    name = "extractive"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.inner = ExtractiveGenerator()

    def check(self) -> Availability:
        return Availability(True, "held until the test releases it")

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        assert self.gate.wait(timeout=120), "the test never opened the gate"
        yield from self.inner.stream(request)


def test_a_full_queue_gets_503_and_then_recovers(built_index: Settings) -> None:
    held = HeldGenerator()
    settings = built_index.with_overrides(port=free_port(), model="extractive", queue_size=1)
    bot = Bot(settings, generators={"extractive": held})
    with launched(bot) as url, ThreadPoolExecutor(5) as pool:
        # Two answers run, one waits (queue_size 1): the other two of five are refused.
        def post() -> httpx.Response:
            return httpx.post(url + "/v1/chat/completions", json=BODY, timeout=120)

        futures = [pool.submit(post) for _ in range(5)]
        for finished, _ in enumerate(as_completed(futures, timeout=60), start=1):
            if finished == 2:  # the refusals come back at once; the held three cannot
                break
        held.gate.set()
        replies = [f.result(timeout=120) for f in futures]
        codes = sorted(r.status_code for r in replies)
        assert codes == [200, 200, 200, 503, 503], codes
        full = next(r for r in replies if r.status_code == 503).json()["error"]
        assert full["code"] == "queue_full" and "try again" in full["message"]
        assert post().status_code == 200  # the queue drained


@pytest.fixture(scope="module")
def login_without_key(built_index: Settings) -> Iterator[str]:
    settings = built_index.with_overrides(port=free_port(), model="extractive",
                                          auth_username="ada", auth_password="lovelace-1843")
    with launched(Bot(settings)) as url:
        yield url


def test_a_web_login_without_an_api_key_keeps_the_api_closed(login_without_key: str) -> None:
    for method, path, body in (("POST", "/v1/chat/completions", BODY), ("GET", "/v1/models", None),
                               ("POST", "/mcp", {"jsonrpc": "2.0", "id": 1,
                                                 "method": "tools/list"})):
        reply = httpx.request(method, login_without_key + path, json=body, timeout=30,
                              headers={"Accept": "application/json, text/event-stream"})
        assert reply.status_code == 401, path
        assert "set CITEBOT_API_KEY" in reply.json()["error"]["message"], path


class FailingGenerator(Generator):
    """A backend whose model server went away: at once (``after`` None), or after writing
    ``after`` (then with an unexpected error, as a bug would)."""

    name = "extractive"

    def __init__(self, after: str | None = None) -> None:
        self.after = after

    def check(self) -> Availability:
        return Availability(True, "fails on purpose")

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        if self.after is None:
            raise GenerationError("the model server at 127.0.0.1:1 stopped answering")
        yield self.after
        raise RuntimeError("a bug in the backend")


@pytest.mark.parametrize("after", [None, "RLHF means [1]"])
def test_a_failing_model_is_an_openai_error_not_an_empty_answer(built_index: Settings,
                                                                 after: str | None) -> None:
    settings = built_index.with_overrides(port=free_port(), model="extractive")
    bot = Bot(settings, generators={"extractive": FailingGenerator(after)})
    with launched(bot) as url:
        reply = httpx.post(url + "/v1/chat/completions", json=BODY, timeout=60)
        client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
        with pytest.raises(openai.APIError) as raised:
            list(client.chat.completions.create(stream=True, **BODY))  # type: ignore[call-overload]
    expected = ("stopped answering", 502) if after is None else ("went wrong inside", 500)
    assert reply.status_code == expected[1] and expected[0] in reply.json()["error"]["message"]
    assert expected[0] in str(raised.value)


class RecordingGenerator(ExtractiveGenerator):
    """The extractive backend, noting the sampling options each request reached it with."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, int]] = []

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        self.seen.append((request.temperature, request.max_tokens))
        yield from super().stream(request)


def test_temperature_and_max_tokens_reach_the_model_and_top_p_is_accepted(
        built_index: Settings) -> None:
    recorder = RecordingGenerator()
    settings = built_index.with_overrides(port=free_port(), model="extractive")
    bot = Bot(settings, generators={"extractive": recorder})
    with launched(bot) as url:
        for options in ({"temperature": 0.3, "max_tokens": 5, "top_p": 0.5},
                        {"max_completion_tokens": 9000}, {}):
            reply = httpx.post(url + "/v1/chat/completions", json={**BODY, **options},
                               timeout=60)
            assert reply.status_code == 200, reply.text
    default = (settings.temperature, settings.max_tokens)
    assert recorder.seen == [(0.3, 16), (settings.temperature, 4096), default]


def test_with_mcp_off_there_is_no_mcp_endpoint(built_index: Settings) -> None:
    settings = built_index.with_overrides(port=free_port(), model="extractive", mcp=False)
    with launched(Bot(settings)) as url:
        reply = httpx.post(url + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                           headers={"Accept": "application/json, text/event-stream"}, timeout=30)
        assert reply.status_code == 404
        assert httpx.get(url + "/v1/models", timeout=30).status_code == 200
