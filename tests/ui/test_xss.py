"""Markup in documents, answers and questions is shown as text and never runs, checked in a
real headless Chromium against the real app over a real index of an article full of payloads
(script tags, onerror images, javascript: links, SVG and iframe handlers). The extractive
backend answers: this is about rendering, and it quotes the payloads verbatim."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from bot.api import Bot
from ingest.pipeline import ingest_corpus
from tests.conftest import free_port, make_settings
from tests.ui.conftest import ask, open_chat, serving

XSS_CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile" / "xss"
SECRET_KEY = "sk-xss-canary-5f1d2c9e"
RUNS_CODE = "[onerror], [onload], [onmouseover], #chat script, #sources script, iframe"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("xss"), corpus=(XSS_CORPUS,),
                             model="extractive", port=free_port(),
                             openai_api_key=SECRET_KEY)  # must never reach the page
    ingest_corpus(settings)
    with serving(Bot(settings)) as url:
        yield url


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    def watch(page: Page) -> None:
        page.dialogs: list[str] = []  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore

    context, page = open_chat(browser, app_url, watch)
    yield page
    context.close()



def assert_nothing_ran(page: Page) -> None:
    # Let any injected handler (img onerror, svg onload) fire: every image has finished
    # loading or failed (its error event is queued then), then two more turns of the event
    # loop run whatever those queued, on a machine of any speed.
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    page.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
    page.evaluate("new Promise(r => setTimeout(r, 0))")
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.evaluate("window.__xss") is None
    assert page.title() == "citebot"
    assert page.locator(RUNS_CODE).count() == 0
    assert page.locator('a[href^="javascript" i]').count() == 0


def test_document_markup_is_shown_as_text_in_answer_source_and_article(page: Page) -> None:
    message = ask(page, "What do large language models see in script tags and image tags?")
    expect(message.locator(".cite").first).to_be_visible()
    shown = message.inner_text()
    assert "<script>" in shown or "<img src=x onerror=" in shown, shown
    card = page.locator("#sources .source").first
    expect(card).to_be_visible()
    passage = card.locator(".passage").inner_text()
    assert "<script>" in passage or "<img src=x onerror=" in passage, passage
    card.locator("summary").first.click()  # the whole article, opened at the cited span
    article = card.locator(".article")
    expect(article).to_be_visible()
    for summary in article.locator("summary").all():
        summary.click()  # unfold the part before the quote too
    text = article.inner_text()
    for payload in ('<script>window.__xss = "script"', "<img src=x onerror=",
                    "(javascript:window.__xss='mdlink'", '<a href="javascript:',
                    "<svg onload=", "<iframe src="):
        assert payload in text, payload
    assert_nothing_ran(page)


def test_markup_in_the_question_does_not_run(page: Page) -> None:
    question = ('<img src=x onerror="window.__xss=\'question\';alert(1)"> '
                "<script>alert('q')</script> What do large language models see in image tags?")
    message = ask(page, question)
    meta = message.locator(".meta")  # the query is echoed back, escaped, as literal text
    expect(meta).to_contain_text("searched for: <img src=x onerror=")
    expect(meta).to_contain_text("<script>alert('q')</script>")
    user = page.locator('[data-testid="user"]').last  # Gradio's sanitiser renders this one
    expect(user).to_contain_text("What do large language models see in image tags?")
    assert_nothing_ran(page)


def test_secrets_are_not_in_the_page_or_its_config(page: Page, app_url: str) -> None:
    assert SECRET_KEY not in page.content()
    for path in ("config", "gradio_api/info", "gradio_api/openapi.json"):
        reply = httpx.get(app_url + path, timeout=10)
        assert SECRET_KEY not in reply.text, path
    assert SECRET_KEY not in httpx.get(app_url, timeout=10).text
