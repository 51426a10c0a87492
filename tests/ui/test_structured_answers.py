"""Structured answers in the real web app, in headless Chromium: a comparison is a real table
with a citation badge in every cell, a badge clicked lights up its span among the sources, a
list question shows its whole list. The app runs the real local LLM (it writes the closing
sentence); the table and the list are the pipeline's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.answering.prompt import NO_ANSWER
from bot.api import Bot
from bot.backends.base import Generator
from bot.settings import Settings
from tests.answering.test_breadth import CLOSING_SAYS
from tests.conftest import free_port
from tests.ui.conftest import ask, open_chat, serving


@pytest.fixture(scope="module")
def app_url(built_index: Settings, model_memo: Generator) -> Iterator[str]:
    settings = built_index.with_overrides(port=free_port(), model="local")
    with serving(Bot(settings, generators={"local": model_memo})) as url:
        yield url


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    context, page = open_chat(browser, app_url)
    yield page
    context.close()



def test_a_comparison_is_a_table_whose_cells_cite_their_spans(page: Page,
                                                             tmp_path: Path) -> None:
    message = ask(page, "What are the main differences between LLMs and generative AI?")
    expect(message.locator(".meta")).to_contain_text("answered as: comparison")
    expect(message.locator(".meta")).to_contain_text("model: local")
    expect(message).not_to_contain_text(NO_ANSWER)
    # The model's closing line: cited, and saying how the two relate (as the API test does)
    closing = message.locator("p:not(.meta):not(.block-title)").filter(
        has=page.locator(".cite")).last
    assert CLOSING_SAYS.search(closing.inner_text()), message.inner_text()
    table = message.locator("table.answer-table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    assert rows.count() >= 4
    cells = table.locator("tbody td")
    for i in range(cells.count()):  # every cell carries its own citation
        assert cells.nth(i).locator(".cite").count() >= 1, cells.nth(i).inner_text()
    badge = rows.nth(1).locator("td").nth(2).locator(".cite").first
    number = badge.inner_text().strip("[]")
    cell_text = rows.nth(1).locator("td").nth(2).inner_text().split("[")[0].strip()
    mark = page.locator(f"#sources mark#cite-{number}")
    expect(mark).not_to_have_class("active")
    badge.click()
    expect(mark).to_have_class("active")  # the cited span lights up in its source card
    assert cell_text.rstrip("…") in mark.inner_text()
    expect(page.locator("#sources mark.active")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "comparison.png"), full_page=True)


def test_a_list_question_shows_every_item_of_its_list(page: Page) -> None:
    message = ask(page, "Which challenges and limitations of AI technologies does the "
                        "AI-PRO article list?")
    expect(message.locator(".meta")).to_contain_text("answered as: list")
    items = message.locator("ul").first.locator("li")
    expect(items).to_have_count(7)
    for name in ("Ethical Dilemmas", "Data Privacy Concerns", "Resource Intensiveness"):
        expect(message).to_contain_text(name)
    assert all(items.nth(i).locator(".cite").count() >= 1 for i in range(7))
