"""Answers saved as test questions, in a real headless Chromium: save an answer from the chat
(its key facts shown for editing), run "your questions" in the Evaluation tab and see it
pass, remove its document in the Library tab and see the question flagged, not failed.
Real index (a private copy), real embedder, the extractive backend."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.api import Bot
from bot.settings import Settings
from tests.conftest import free_port, make_settings
from tests.ui.conftest import ANSWER_TIMEOUT, ask, few_shipped_questions, open_chat, serving

QUESTION = "What does RLHF stand for?"
FACT = "Reinforcement Learning from Human Feedback"


@pytest.fixture(scope="module")
def app(built_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    tmp = tmp_path_factory.mktemp("test-questions")
    shutil.copytree(built_index.data_dir, tmp / "data")
    bot = Bot(make_settings(tmp, model="extractive", index_check_s=0, port=free_port(),
                            questions_file=few_shipped_questions(tmp)))
    with serving(bot):
        yield bot


@pytest.fixture
def page(browser: Browser, app: Bot) -> Iterator[Page]:
    context, page = open_chat(browser, f"http://127.0.0.1:{app.settings.port}/")
    yield page
    context.close()


def run_questions(page: Page, which: str, done: str) -> None:
    """Run the set ``which`` in the Evaluation tab; ``done`` shows in the summary after."""
    page.get_by_role("tab", name="Evaluation").click()
    page.locator("#eval-set").get_by_text(which, exact=True).click()
    page.click("#eval-run")
    expect(page.locator("#eval-summary")).to_contain_text(done, timeout=ANSWER_TIMEOUT)


def test_save_run_pass_remove_flagged(page: Page, app: Bot) -> None:
    page.click("#case-save")  # nothing asked yet: the button says what to do
    expect(page.locator("#case-status")).to_contain_text("ask a question first")

    expect(ask(page, QUESTION, timeout=120_000)).to_contain_text(FACT, ignore_case=True)
    page.click("#case-save")
    facts = page.locator("#case-facts textarea")
    expect(facts).not_to_have_value("")  # the answer's key terms, for editing
    facts.fill(FACT)
    page.click("#case-confirm")
    expect(page.locator("#case-status")).to_contain_text("Saved as a test question")
    saved = app.library_questions()
    assert [(q.question, q.key_facts, q.origin) for q in saved] == [
        (QUESTION, ((FACT,),), "saved")]
    assert saved[0].support and saved[0].docs

    shipped = len(app.settings.questions_file.read_text(encoding="utf-8").splitlines())
    run_questions(page, "both", f"origin: 1 saved, {shipped} shipped")  # beside the shipped set
    row = page.locator(f"#eval-rows tr[data-id='{saved[0].id}']")
    expect(row.locator(".verdict")).to_have_text("pass")
    origins = page.locator("#eval-origins table.origins")
    expect(origins.locator("tr", has_text="saved")).to_contain_text("1")
    verdicts = page.locator("#eval-rows .verdict").all_inner_texts()
    assert verdicts == sorted(verdicts)  # failures ("fail") first, then the passes
    row.locator("summary").click()  # the row opens onto its answer and its sources
    expect(row.locator(".eval-sources li").first).to_contain_text(FACT, ignore_case=True)

    doc_id = saved[0].docs[0]
    page.get_by_role("tab", name="Library").click()
    page.locator("#library-doc input").click()
    page.get_by_role("option", name=f"({doc_id})").click()
    page.click("#library-remove")
    expect(page.locator("#library-results")).to_contain_text("removed", timeout=120_000)

    run_questions(page, "your questions", "1 flagged, not asked")
    flagged = page.locator(f"#eval-flagged li[data-id='{saved[0].id}']")
    expect(flagged).to_contain_text(f"its document '{doc_id}' was removed",
                                    timeout=ANSWER_TIMEOUT)
    assert page.locator(f"#eval-rows tr[data-id='{saved[0].id}']").count() == 0
