"""Honest queueing in the real web app, in headless Chromium, with the real local model: a
question that would wait too long gets the quick extractive answer at once, labelled; "Ask
the model anyway" puts it in the model's line, where the page shows its place and the
expected wait; when its turn comes, the model's answer replaces the quick one.

"Busy" is made exact by holding the model's line from the test (as a question being answered
and one more waiting ahead would), so that the page's question is 2nd in line."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from bot.answering.prompt import NO_ANSWER
from bot.api import Bot
from bot.backends.base import Generator
from bot.settings import Settings
from tests.conftest import free_port
from tests.ui.conftest import ANSWER_TIMEOUT, ask, open_chat, serving
from ui.render import ASK_MODEL, FALLBACK_LABEL

QUESTION = "What can generative AI create besides text?"
FACTS = re.compile(r"image|music|video|audio|code|3D", re.IGNORECASE)


@pytest.fixture(scope="module")
def busy_bot(built_index: Settings, local_model: Generator) -> Iterator[Bot]:
    # Any wait is too long: the expected wait is what the model's recent answers took, so a
    # threshold in seconds (3 s) raced the machine's speed (a warm model answered the basis
    # question in 2 s, the page's question then waited instead of getting the quick answer).
    settings = built_index.with_overrides(port=free_port(), model="local",
                                          fallback_after_s=0.001)
    bot = Bot(settings, generators={"local": local_model})
    timed = bot.ask("What does RLHF stand for?", cache=False)  # the estimate's first basis
    assert "first_token" in timed.timings
    yield bot


def test_a_busy_model_answers_quickly_labelled_then_the_model_answers_in_turn(
        browser: Browser, busy_bot: Bot) -> None:
    queue = busy_bot.queue()
    assert queue is not None
    answering, ahead = queue.join(), queue.join()
    assert answering.wait(0)
    try:
        with serving(busy_bot) as url:
            context, page = open_chat(browser, url)
            quick = ask(page, QUESTION, timeout=60_000)
            expect(quick.locator(".meta")).to_contain_text("model: extractive")
            expect(quick).to_contain_text(FALLBACK_LABEL)
            expect(quick).to_contain_text("2nd in line")
            expect(quick).not_to_contain_text(NO_ANSWER)  # the fallback answered, with facts
            assert quick.locator(".cite").count() >= 1 and FACTS.search(quick.inner_text())
            anyway = page.locator("#ask-model")
            expect(anyway).to_be_visible()
            expect(anyway).to_have_text(ASK_MODEL)
            bot_messages = page.locator('[data-testid="bot"]').count()

            anyway.click()
            waiting = page.locator('[data-testid="bot"]').last
            expect(waiting).to_contain_text("Waiting for the model: you are 2nd in line")
            expect(waiting).to_contain_text(re.compile(r"about \d+ s to wait \(answers are "
                                                       r"taking about \d+ s each\)"))
            ahead.leave()  # the question ahead gave up: this one moves up
            expect(waiting).to_contain_text("1st in line", timeout=10_000)
            answering.leave()  # the model is free

            final = page.locator('[data-testid="bot"]').last
            expect(final.locator(".meta")).to_contain_text("model: local",
                                                           timeout=ANSWER_TIMEOUT)
            expect(final).not_to_contain_text(FALLBACK_LABEL)
            assert page.locator('[data-testid="bot"]').count() == bot_messages  # replaced
            expect(final).not_to_contain_text(NO_ANSWER)
            assert final.locator(".cite").count() >= 1 and FACTS.search(final.inner_text())
            expect(anyway).to_be_hidden()
            context.close()
    finally:
        ahead.leave()
        answering.leave()
