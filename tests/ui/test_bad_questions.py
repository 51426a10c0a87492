"""Bad questions through the real web app: its API (gradio_client and raw HTTP) and the chat
in a real headless Chromium. Each gets a readable message, and the next question is answered."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from bot.answering.prompt import NO_ANSWER
from bot.api import Bot
from bot.settings import Settings
from tests.conftest import free_port
from tests.ui.conftest import open_chat

RLHF = "What does RLHF stand for?"
RLHF_FACT = "Reinforcement Learning from Human Feedback"
HUGE = "x" * 100_000
TOO_LONG = "100,000 characters long; the limit is 2,000"
MARKER_ONLY = "'[3]' is not a question (only citation markers)"
_MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def app_url(built_index: Settings) -> Iterator[str]:
    from ui.app import build_app, launch

    settings = built_index.with_overrides(port=free_port(), model="extractive")
    bot = Bot(settings)
    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    yield f"http://127.0.0.1:{settings.port}/"
    app.close()


@pytest.fixture(scope="module")
def client(app_url: str) -> Any:
    from gradio_client import Client

    return Client(app_url, verbose=False)


def ask_api(client: Any, question: str) -> dict[str, Any]:
    return dict(client.predict(question, "extractive", 5, api_name="/ask"))


def assert_answered(result: dict[str, Any], question: str) -> None:
    """A complete answer with valid citation markers, or the no-answer sentence."""
    assert "text" in result and not result["error"], result
    assert result["complete"] and result["question"] == question
    numbers = {c["number"] for c in result["citations"]}
    assert {int(n) for n in _MARKER.findall(result["text"])} <= numbers
    assert "\ufffd" not in result["text"]
    assert result["text"].startswith(NO_ANSWER) if result["abstained"] else numbers


# -- the API -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "words"), [
    ("", "the question is empty"),
    ("  \n\t ", "the question is empty"),
    (HUGE, TOO_LONG),  # the whole question arrived: its real length is in the message
    ("[3]", MARKER_ONLY),
    ("[1][2]", "'[1][2]' is not a question"),
    ("[3] ?", "'[3] ?' is not a question"),
], ids=lambda v: repr(v)[:20])
def test_api_refusals_are_messages(client: Any, question: str, words: str) -> None:
    result = ask_api(client, question)
    assert set(result) == {"error"} and words in result["error"]
    if question is HUGE:
        assert "CITEBOT_MAX_QUESTION_CHARS" in result["error"]


def test_api_keeps_answering_after_a_huge_question(client: Any) -> None:
    from gradio_client import Client

    huge = Client(client.src, verbose=False).submit(HUGE, "extractive", 5, api_name="/ask")
    normal = ask_api(client, RLHF)  # queued beside the huge one: neither hangs
    assert TOO_LONG in huge.result(timeout=120)["error"]
    assert_answered(normal, RLHF)
    assert RLHF_FACT in normal["text"]


@pytest.mark.parametrize("question", [
    "¿Qué es la IA generativa? 🤖",
    "ما هو الذكاء الاصطناعي التوليدي؟",
    "什么是大型语言模型？",
])
def test_api_other_languages_answer_or_abstain(client: Any, question: str) -> None:
    assert_answered(ask_api(client, question), question)


def test_api_control_characters_and_undecodable_text(client: Any, app_url: str) -> None:
    result = ask_api(client, f"\x00\x07{RLHF}\x1b[31m")
    assert_answered(result, RLHF)
    assert RLHF_FACT in result["text"]
    # A lone surrogate is legal JSON but not text; gradio_client can't even send it.
    body = '{"data": ["\\udcff' + RLHF + '\\u202e", "extractive", 5]}'
    assert_answered(call_raw(app_url, body), RLHF)


def call_raw(app_url: str, body: str) -> dict[str, Any]:
    """Gradio's two-step HTTP API: post the call, then read its result from the event stream."""
    with httpx.Client(base_url=app_url, timeout=120) as http:
        posted = http.post("gradio_api/call/ask", content=body,
                           headers={"content-type": "application/json"})
        posted.raise_for_status()
        stream = http.get(f"gradio_api/call/ask/{posted.json()['event_id']}").text
    event, _, data = stream.strip().rpartition("data: ")
    assert "event: complete" in event, stream[:500]
    return dict(json.loads(data)[0])


# -- the chat in a real browser ----------------------------------------------------------------
@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    context, page = open_chat(browser, app_url)
    yield page
    context.close()


def send(page: Page, question: str) -> Any:
    page.fill("#question textarea", question)
    page.click("#ask")
    return page.locator('[data-testid="bot"]').last


def answered(page: Page, question: str) -> Any:
    message = send(page, question)
    expect(message.locator(".meta")).to_contain_text("model:", timeout=120_000)
    return message


def refused(page: Page, question: str) -> Any:
    message = send(page, question)
    expect(message.locator(".error")).to_be_visible(timeout=120_000)
    return message


def test_browser_oversized_question_says_the_limit_then_works(page: Page) -> None:
    message = refused(page, HUGE)
    expect(message).to_contain_text(TOO_LONG)
    expect(message).to_contain_text("max_question_chars (env CITEBOT_MAX_QUESTION_CHARS)")
    user = page.locator('[data-testid="user"]').last
    expect(user).to_contain_text("(100,000 characters in all)")
    assert len(user.inner_text()) < 1000  # the chat echoes it shortened
    expect(answered(page, RLHF)).to_contain_text(RLHF_FACT, ignore_case=True)
    assert "Traceback" not in page.content()


def test_browser_marker_only_question_is_explained_then_works(page: Page) -> None:
    expect(refused(page, "[3]")).to_contain_text(MARKER_ONLY)
    expect(refused(page, "[1][2]")).to_contain_text("only citation markers")
    expect(answered(page, RLHF)).to_contain_text(RLHF_FACT, ignore_case=True)


def test_browser_shows_other_scripts_intact(page: Page) -> None:
    arabic = "ما هو الذكاء الاصطناعي التوليدي؟ 🤖"
    message = answered(page, arabic)
    expect(message.locator(".meta")).to_contain_text(arabic)
    expect(page.locator('[data-testid="user"]').last).to_contain_text(arabic)
    assert "\ufffd" not in message.inner_text()
