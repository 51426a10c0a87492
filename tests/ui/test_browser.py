"""The web chat in a real headless Chromium (Debian's), driven by Playwright, against the
real app on a free loopback port with the real index and the real local LLM."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.api import Bot
from bot.backends.base import GenerationRequest, Generator
from bot.backends.extractive import ExtractiveGenerator
from bot.settings import Settings
from tests.conftest import free_port
from tests.ui.conftest import ANSWER_TIMEOUT, ask, few_shipped_questions, open_chat, serving

SCREENSHOT_ENV = "CITEBOT_SCREENSHOT"
"""Set to a path (e.g. docs/screenshot.png) to keep the chat screenshot; by default it goes to
the test's temp folder, so a test run never changes the checkout."""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's report folder: empty at start, so only the tab's own run can fill it."""
    return tmp_path_factory.mktemp("reports")


HELD = "How many tokens are LLMs trained on?"  # q07 of the shipped set


class HeldExtractive(ExtractiveGenerator):
    """The extractive backend, except that question HELD waits until ``release`` is set: an
    evaluation run stays in progress for as long as a test needs, on a machine of any speed."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.held = 0  # times HELD was asked: the hold engaged, the test saw a run in progress

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        if request.question == HELD:
            self.held += 1
            assert self.release.wait(ANSWER_TIMEOUT / 1000), "the held question was never released"
        yield from super().stream(request)


@pytest.fixture(scope="module")
def held() -> HeldExtractive:
    return HeldExtractive()


@pytest.fixture(scope="module")
def questions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's shipped question set: q01-q13 of the shipped questions (fails among them)."""
    return few_shipped_questions(tmp_path_factory.mktemp("questions"))


@pytest.fixture(scope="module")
def app_url(built_index: Settings, model_memo: Generator, reports: Path, questions: Path,
            held: HeldExtractive) -> Iterator[str]:
    settings = built_index.with_overrides(
        port=free_port(), model="local", report_dir=reports, questions_file=questions,
        openai_base_url=f"http://127.0.0.1:{free_port()}/v1")  # a model server that is down
    with serving(Bot(settings, generators={"local": model_memo, "extractive": held})) as url:
        yield url


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    def watch(page: Page) -> None:
        page.outside: list[str] = []  # type: ignore[attr-defined]
        page.on("request", lambda r: _note_outside(page, r.url))

    context, page = open_chat(browser, app_url, watch)
    yield page
    context.close()


def _note_outside(page: Any, url: str) -> None:
    if not url.startswith(("http://127.0.0.1", "data:", "blob:")):
        page.outside.append(url)



def test_answer_shows_citations_and_sources(page: Page, tmp_path: Path) -> None:
    message = ask(page, "What does RLHF stand for?")
    expect(message).to_contain_text("Reinforcement Learning from Human Feedback",
                                    ignore_case=True)
    markers = message.locator(".cite")
    assert markers.count() >= 1
    number = markers.first.inner_text().strip("[]")
    card = page.locator(f"#sources #source-{number}")
    expect(card).to_be_visible()
    quote = card.locator(".passage mark").inner_text()
    assert "Reinforcement Learning from Human Feedback" in quote
    expect(message.locator(".meta")).to_contain_text("searched for")
    card.locator("summary").first.click()  # the whole article opens at the highlighted span
    expect(card.locator(".article mark")).to_contain_text("Reinforcement Learning")
    page.screenshot(path=os.environ.get(SCREENSHOT_ENV) or str(tmp_path / "screenshot.png"))
    assert page.outside == []  # type: ignore[attr-defined]


def test_out_of_scope_question_shows_the_abstention(page: Page) -> None:
    message = ask(page, "What is the capital of Australia?")
    expect(message.locator(".abstained")).to_contain_text("Not in the sources")
    expect(message).to_contain_text("The sources don't cover this.")


def test_errors_are_readable_and_the_app_keeps_working(page: Page) -> None:
    page.get_by_text("Settings", exact=True).click()
    page.click("#model input")
    page.get_by_role("option", name="openai").first.click()
    message = ask_error(page, "What is generative AI?")
    expect(message).to_contain_text("cannot reach the model server")
    assert "Traceback" not in page.content()
    page.click("#model input")
    page.get_by_role("option", name="extractive").click()
    working = ask(page, "What does RLHF stand for?")
    expect(working).to_contain_text("Reinforcement Learning from Human Feedback",
                                    ignore_case=True)


def test_empty_question_is_refused_in_words(page: Page) -> None:
    message = ask_error(page, "   ")
    expect(message).to_contain_text("the question is empty")


def ask_error(page: Page, question: str) -> Any:
    page.fill("#question textarea", question)
    page.click("#ask")
    last = page.locator('[data-testid="bot"]').last
    expect(last.locator(".error")).to_be_visible(timeout=60_000)
    return last


def test_gradio_client_returns_the_same_answer(app_url: str, built_index: Settings) -> None:
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    result = client.predict("What does RLHF stand for?", "extractive", 5, api_name="/ask")
    direct = Bot(built_index.with_overrides(model="extractive")).ask("What does RLHF stand for?")
    assert result["text"] == direct.text
    assert [(c["number"], c["doc_id"], c["quote"], c["start"], c["end"])
            for c in result["citations"]] == [(c.number, c.doc_id, c.quote, c.start, c.end)
                                              for c in direct.citations]
    assert client.predict("", "extractive", 5, api_name="/ask") == {
        "error": "the question is empty: type a question about the documents"}


def test_evaluation_tab_runs_with_progress(page: Page, reports: Path, questions: Path,
                                           held: HeldExtractive) -> None:
    page.get_by_role("tab", name="Evaluation").click()
    expect(page.locator("#eval-summary")).to_contain_text("No evaluation has been run yet.")
    page.click("#eval-model input")
    page.get_by_role("option", name="extractive").click()
    try:
        page.click("#eval-run")
        # Progress while it runs (held at q07): the question being scored, as the tab says.
        expect(page.get_by_text(re.compile(r"question q\d\d")).first).to_be_visible(
            timeout=ANSWER_TIMEOUT)
        expect(page.locator("#eval-summary")).not_to_contain_text("hit@5")  # still running
    finally:
        held.release.set()
    expect(page.locator("#eval-summary")).to_contain_text("hit@5", timeout=ANSWER_TIMEOUT)
    assert held.held == 1  # the run could not end before the release: no lucky glimpse
    expect(page.locator("#eval-summary")).to_contain_text("model extractive")
    expect(page.locator("#eval-summary")).to_contain_text(str(reports / "report.json"))
    written = json.loads((reports / "report.json").read_text())
    asked = len(questions.read_text(encoding="utf-8").splitlines())
    assert written["model"] == "extractive" and len(written["results"]) == asked
    assert page.locator("#eval-rows tr").count() == asked + 1  # a header and a row a question


def test_model_menu_names_why_a_backend_is_unavailable(page: Page) -> None:
    page.get_by_text("Settings", exact=True).click()
    page.click("#model input")
    down = page.get_by_role("option", name=re.compile(r"^openai \(unavailable: "))
    expect(down).to_contain_text("is unreachable (ConnectError)")
    expect(page.get_by_role("option", name="extractive", exact=True)).to_be_visible()


def test_follow_up_keeps_the_conversation(page: Page) -> None:
    """The chat's conversation state: the second question only makes sense after the first.
    (The extractive backend: the state and the rewrite are the same for every model.)"""
    page.get_by_text("Settings", exact=True).click()
    page.click("#model input")
    page.get_by_role("option", name="extractive").click()
    first = ask(page, "What is generative AI?")
    expect(first.locator(".meta")).to_contain_text("searched for: What is generative AI?")
    page.fill("#question textarea", "And what are its applications?")
    page.click("#ask")
    follow = page.locator('[data-testid="bot"]').nth(1)  # the second answer, not the first
    expect(follow.locator(".meta")).to_contain_text(
        "searched for: What are generative AI's applications?", timeout=ANSWER_TIMEOUT)
    expect(follow.locator(".abstained")).to_have_count(0)
    assert follow.locator(".cite").count() >= 1
