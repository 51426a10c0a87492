"""The Library tab in a real headless Chromium: upload, answer from it, remove, bad files, a
PDF, and the chat answering from the previous index while a big upload embeds."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

import ingest.pipeline
from bot.answering.prompt import NO_ANSWER
from bot.api import Bot
from bot.settings import Settings
from tests.conftest import SECOND_CORPUS, free_port, make_settings
from tests.test_load import make_pdf
from tests.ui.conftest import ask, open_chat, serving

ARTICLE = SECOND_CORPUS / "nosql-at-scale.html"
QUESTION = "Which consistency levels can a query choose in Apache Cassandra?"
UPLOAD_LIMIT = 1_500_000
CHANGE_TIMEOUT = 300_000  # ms: embedding on 2 busy cores


@pytest.fixture
def app(built_index: Settings, tmp_path: Path) -> Iterator[Bot]:
    """A fresh copy of the seed index per test: no test sees what another uploaded."""
    tmp = tmp_path / "library-tab"
    shutil.copytree(built_index.data_dir, tmp / "data")
    settings = make_settings(tmp, model="extractive", index_check_s=0, port=free_port(),
                             max_upload_bytes=UPLOAD_LIMIT)
    bot = Bot(settings)
    with serving(bot):
        yield bot


@pytest.fixture
def page(browser: Browser, app: Bot) -> Iterator[Page]:
    context, page = open_chat(browser, f"http://127.0.0.1:{app.settings.port}/")
    yield page
    context.close()


def library(page: Page) -> None:
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#library-count")).to_be_visible()


def chat(page: Page) -> None:
    page.get_by_role("tab", name="Chat").click()


def upload(page: Page, *paths: Path) -> None:
    page.locator("#library-upload input[type=file]").set_input_files([str(p) for p in paths])


def results(page: Page, expected: str) -> str:
    """The result of the change under way, once it shows ``expected``."""
    expect(page.locator("#library-results")).to_contain_text(expected, timeout=CHANGE_TIMEOUT)
    expect(page.locator("#library-results .summary")).to_be_visible()
    return page.locator("#library-results").inner_text()


def test_upload_answer_remove(page: Page, app: Bot) -> None:
    library(page)
    expect(page.locator("#library-count")).to_have_text("4 documents, 90 chunks")
    upload(page, ARTICLE)
    shown = results(page, "added")
    assert "nosql-at-scale.html" in shown and "now holds 5 documents" in shown
    row = page.locator("#library-docs tr[data-doc='nosql-at-scale']")
    expect(row).to_contain_text("NoSQL at Scale")
    expect(row).to_contain_text("html")

    chat(page)
    answer = ask(page, QUESTION, timeout=120_000)
    expect(answer).not_to_contain_text(NO_ANSWER)  # an abstention quotes nearby text too
    expect(answer).to_contain_text("QUORUM")
    assert answer.locator(".cite").count() >= 1
    expect(page.locator("#sources")).to_contain_text("NoSQL at Scale")

    library(page)
    page.locator("#library-doc input").click()
    page.get_by_role("option", name="(nosql-at-scale)").click()
    page.click("#library-remove")
    results(page, "removed")
    expect(page.locator("#library-count")).to_have_text("4 documents, 90 chunks")
    chat(page)
    expect(ask(page, QUESTION, timeout=120_000)).to_contain_text("The sources don't cover this")


def test_a_pdf_upload_is_listed_and_answered(page: Page, tmp_path: Path) -> None:
    pdf = tmp_path / "tidal-report.pdf"
    pdf.write_bytes(make_pdf(["The Severn estuary has a tidal range of 15 metres."],
                             title="Tides of the Severn"))
    library(page)
    upload(page, pdf)
    results(page, "added")
    row = page.locator("#library-docs tr[data-doc='tidal-report']")
    expect(row).to_contain_text("Tides of the Severn")
    expect(row).to_contain_text("pdf")
    chat(page)
    answer = ask(page, "What is the tidal range of the Severn estuary?", timeout=120_000)
    expect(answer).not_to_contain_text(NO_ANSWER)
    expect(answer).to_contain_text("15 metres")
    assert answer.locator(".cite").count() >= 1


def test_bad_files_get_a_clear_message_and_change_nothing(
        page: Page, app: Bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """...and Gradio's copies of the uploads are deleted once the Library has them (issue 24
    item 6): none stays in the Gradio cache, where anyone could read it."""
    handed: list[Path] = []
    add_documents = app.add_documents

    def recorded(paths: list[Path], **kwargs: Any) -> Any:
        handed.extend(paths)
        assert all(p.is_file() for p in paths)  # Gradio's copies, still there while indexed
        return add_documents(paths, **kwargs)
    monkeypatch.setattr(app, "add_documents", recorded)
    photo = tmp_path / "holiday.txt"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    big = tmp_path / "huge.md"
    big.write_text("# Huge\n\n" + "A paragraph of words. " * (UPLOAD_LIMIT // 20))
    library(page)
    before = page.locator("#library-docs table").inner_text()
    count = app.store.count()
    for path, message in ((photo, "holiday.txt is a PNG image by its content, not .txt text"),
                          (big, "huge.md is larger than the upload limit of 1,500,000 bytes")):
        upload(page, path)
        assert "skipped" in results(page, message)
        assert page.locator("#library-docs table").inner_text() == before
    assert app.store.count() == count
    assert not any(app.settings.library_path.glob("*.md"))
    assert [p.name for p in handed] == ["holiday.txt", "huge.md"]
    assert not [p for p in handed if p.exists()], "Gradio's upload copies were left behind"


def hold_embedding(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Ingestion embeds its first batch, then waits until the returned event is set: an
    upload stays "embedding" for as long as a test needs, on a machine of any speed."""
    release, embed_batches = threading.Event(), ingest.pipeline._embed

    def held(new: list[Any], embed: Any, *args: Any) -> Any:
        batches: list[int] = []

        def gated(texts: Any) -> Any:
            if batches:  # every batch after the first waits for the release
                assert release.wait(CHANGE_TIMEOUT / 1000), "the held upload was never released"
            batches.append(len(texts))
            return embed(texts)
        return embed_batches(new, gated, *args)
    monkeypatch.setattr(ingest.pipeline, "_embed", held)
    return release


def test_the_chat_answers_from_the_previous_index_while_a_big_upload_embeds(
        page: Page, app: Bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 300 notes, one chunk each: five embedding batches of 64. The hold keeps the upload
    # embedding after its first batch for as long as the test needs, so more notes would only
    # add embedding time once released (3,000 took ~40 s), not prove more.
    big = tmp_path / "field-notes.md"
    big.write_text("# Field notes\n\n" + "\n\n".join(
        f"## Note {i}\n\nObservation {i}: the heron at pond {i % 97} caught {i % 13} fish "
        f"before noon, and the reeds by gate {i % 31} were {i % 7 + 1} metres tall."
        for i in range(300)))
    assert big.stat().st_size < UPLOAD_LIMIT
    release = hold_embedding(monkeypatch)
    try:
        answers_while_embedding(page, big)
    finally:
        release.set()
    results(page, "added")
    expect(page.locator("#library-docs tr[data-doc='field-notes']")).to_be_visible()
    chat(page)
    heron = "How many fish did the heron at pond 5 catch before noon in observation 5?"
    answer = ask(page, heron, timeout=120_000)
    expect(answer).not_to_contain_text(NO_ANSWER)
    expect(answer).to_contain_text("heron at pond 5 caught 5 fish")
    expect(page.locator("#sources")).to_contain_text("Field notes")


def answers_while_embedding(page: Page, big: Path) -> None:
    library(page)
    upload(page, big)
    expect(page.locator("#library-results")).to_contain_text("embedding", timeout=120_000)
    chat(page)
    heron = "How many fish did the heron at pond 5 catch before noon in observation 5?"
    # The previous index: it has never heard of the heron (the first notes are embedded
    # already, but nothing is stored until all are) and still answers what it knows.
    expect(ask(page, heron, timeout=120_000)).to_contain_text("The sources don't cover this")
    answer = ask(page, "What does RLHF stand for?", timeout=120_000)
    expect(answer).to_contain_text("Reinforcement Learning from Human Feedback")
    assert answer.locator(".cite").count() >= 1
    library(page)
    expect(page.locator("#library-results .summary")).to_have_count(0)  # still embedding


def test_a_read_only_library_lists_but_takes_nothing(browser: Browser,
                                                     built_index: Settings) -> None:
    import httpx

    bot = Bot(built_index.with_overrides(model="extractive", port=free_port(),
                                         allow_uploads=False))
    with serving(bot) as url:
        context, page = open_chat(browser, url)
        library(page)
        expect(page.locator("#library-readonly")).to_contain_text("read-only")
        expect(page.locator("#library-upload")).to_have_count(0)
        expect(page.locator("#library-remove")).to_have_count(0)
        context.close()
        refused = httpx.post(url + "v1/documents", timeout=10,
                             files=[("file", (ARTICLE.name, ARTICLE.read_bytes()))])
        assert refused.status_code == 403 and "allow_uploads is off" in refused.text
        assert httpx.delete(url + "v1/documents/revechat-llm-vs-genai").status_code == 403
    assert bot.store.count() == 90
