"""The real headless Chromium every browser test drives (Debian's, through Playwright)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_chat(browser: Browser, url: str, watch: Callable[[Page], None] | None = None
              ) -> tuple[BrowserContext, Page]:
    """A fresh browser context on the chat page, ready for a question. ``watch`` attaches
    listeners (dialogs, requests) before the page loads, so nothing escapes them."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    if watch is not None:
        watch(page)
    page.goto(url)  # never wait for networkidle: Gradio keeps a stream open
    page.wait_for_selector("#question textarea")
    return context, page


ANSWER_TIMEOUT = 240_000  # ms: a cold llama.cpp answer on 2 busy cores


def ask(page: Page, question: str, timeout: float = ANSWER_TIMEOUT) -> Locator:
    """Ask in the chat and return the answer's message once its meta line shows."""
    page.fill("#question textarea", question)
    page.click("#ask")
    last = page.locator('[data-testid="bot"]').last
    expect(last.locator(".meta")).to_contain_text("model:", timeout=timeout)
    return last


@contextmanager
def serving(bot: Any) -> Iterator[str]:
    """The real web app for ``bot`` on its configured loopback port; yields the page URL."""
    from ui.app import build_app, launch

    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{bot.settings.port}/"
    finally:
        app.close()


def few_shipped_questions(folder: Path, count: int = 13) -> Path:
    """The first ``count`` shipped test questions (q01-q13: q08 and q13 are two the extractive
    backend misses facts of, so a run has fails and passes) in a file of their own, for tests
    of the Evaluation tab. The tab runs each question the same way, so a dozen prove what 124
    would; CI's `citebot eval` scores the whole shipped set."""
    from tests.conftest import CORPUS

    lines = (CORPUS / "questions.jsonl").read_text(encoding="utf-8").splitlines()[:count]
    path = folder / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
