"""The web app binds to loopback by default, and with a login configured an unauthenticated
request gets nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.api import Bot
from bot.settings import Settings
from tests.conftest import free_port


@pytest.fixture(scope="module")
def protected(built_index: Settings) -> Iterator[str]:
    from ui.app import build_app, launch

    settings = built_index.with_overrides(port=free_port(), model="extractive",
                                          auth_username="ada", auth_password="lovelace-1843")
    bot = Bot(settings)
    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    yield f"http://127.0.0.1:{settings.port}"
    app.close()


def test_default_bind_address_is_loopback(built_index: Settings) -> None:
    assert built_index.host == "127.0.0.1"


def test_unauthenticated_requests_get_nothing(protected: str) -> None:
    replies = [httpx.get(protected + path, timeout=10) for path in ("/config", "/gradio_api/info")]
    replies.append(httpx.post(protected + "/gradio_api/call/ask", timeout=10,
                              json={"data": ["What does RLHF stand for?", "extractive", 5]}))
    for reply in replies:
        assert reply.status_code in (401, 403), (reply.url, reply.status_code)
        assert "RLHF" not in reply.text and "citebot" not in reply.text.lower()
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises its own varied errors)
        Client(protected + "/", verbose=False).predict("What does RLHF stand for?", "", 0,
                                                       api_name="/ask")


def test_logged_in_client_gets_the_answer(protected: str) -> None:
    from gradio_client import Client

    client = Client(protected + "/", auth=("ada", "lovelace-1843"), verbose=False)
    result = client.predict("What does RLHF stand for?", "extractive", 5, api_name="/ask")
    assert "Reinforcement Learning from Human Feedback" in result["text"]
