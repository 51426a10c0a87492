"""The Library through the Python API (ingest/library.py, bot/live.py, bot/store/lock.py):
real embedder, real embedded Chroma, extractive answers over a private copy of the index."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.api import Bot
from bot.errors import InputError, StoreBusyError, StoreError
from bot.settings import Settings
from bot.store import Store
from ingest.pipeline import ingest_corpus
from tests.conftest import SECOND_CORPUS, SEED_CHUNKS
from tests.test_load import make_pdf

ARTICLE = SECOND_CORPUS / "nosql-at-scale.html"
QUESTION = "Which consistency levels can a query choose in Apache Cassandra?"


def library_files(settings: Settings) -> list[str]:
    folder = settings.library_path
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def cited_docs(answer: Any) -> set[str]:
    return {c.doc_id for c in answer.citations}


def test_add_answer_update_remove(index_copy: Settings, tmp_path: Path) -> None:
    bot, other = Bot(index_copy), Bot(index_copy)  # `other`: a second app worker's Bot
    assert bot.ask(QUESTION).abstained  # the seed articles do not say
    assert other.ask(QUESTION).abstained

    report = bot.add_documents([ARTICLE])
    (result,) = report.files
    assert (result.status, result.doc_id, result.name) == ("added", "nosql-at-scale",
                                                           "nosql-at-scale.html")
    assert report.index_documents == 5 and report.index_chunks == SEED_CHUNKS + result.chunks
    entry = next(d for d in bot.documents() if d.doc_id == "nosql-at-scale")
    assert (entry.type, entry.name, entry.uploaded) == ("html", "nosql-at-scale.html", True)
    assert entry.bytes == ARTICLE.stat().st_size and entry.chunks == result.chunks
    assert entry.added_at == entry.updated_at > 0
    for asker in (bot, other):  # the other Bot sees the change without a restart
        answer = asker.ask(QUESTION)
        assert not answer.abstained, answer.text  # an abstention may quote it as nearby text
        assert "QUORUM" in answer.text and "nosql-at-scale" in cited_docs(answer), answer.text
    stored = library_files(index_copy)
    assert len(stored) == 2 and stored[-1] == "metadata.json" and stored[0].endswith(".html")

    assert [f.status for f in bot.add_documents([ARTICLE]).files] == ["unchanged"]
    changed = tmp_path / "nosql-at-scale.html"
    changed.write_text(ARTICLE.read_text().replace("</body>", "<p>Riak lets every request "
                                                    "pick its own quorum sizes.</p></body>"))
    (updated,) = bot.add_documents([changed]).files
    assert updated.status == "updated"
    newer = next(d for d in bot.documents() if d.doc_id == "nosql-at-scale")
    assert newer.added_at == entry.added_at and newer.updated_at > entry.updated_at
    assert len(library_files(index_copy)) == 2  # the older copy is gone
    assert bot.store.count() == sum(d.chunks for d in bot.documents())  # nothing twice

    removed = bot.remove_document("nosql-at-scale")
    assert [f.status for f in removed.files] == ["removed"] and removed.deleted == newer.chunks
    assert bot.ask(QUESTION).abstained and other.ask(QUESTION).abstained
    assert library_files(index_copy) == []  # the copy and its metadata entry are gone
    assert bot.store.count() == SEED_CHUNKS and len(bot.documents()) == 4


def test_bad_uploads_are_skipped_with_the_reason_and_change_nothing(index_copy: Settings,
                                                                    tmp_path: Path) -> None:
    settings = index_copy.with_overrides(max_upload_bytes=2_000, max_upload_files=4)
    bot = Bot(settings)
    before = (bot.documents(), bot.store.count(), library_files(settings))
    files = {"photo.txt": b"\x89PNG\r\n\x1a\n" + bytes(300), "long.md": b"# Long\n\n" + b"x" * 3000,
             "notes.docx": b"PK\x03\x04 a word file", "paper.pdf": b"just text, no PDF"}
    paths = []
    for name, data in files.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(data)
    report = bot.add_documents(paths)
    reasons = {r.name: r.reason for r in report.files}
    assert {r.status for r in report.files} == {"skipped"}
    assert "photo.txt is a PNG image by its content, not .txt text" in reasons["photo.txt"]
    assert "larger than the upload limit of 2,000 bytes" in reasons["long.md"]
    assert "max_upload_bytes" in reasons["long.md"]
    assert "the type '.docx' is not supported; upload .txt .md .html" in reasons["notes.docx"]
    assert "named .pdf but its content is not a PDF" in reasons["paper.pdf"]
    scanned = tmp_path / "scanned.pdf"  # a real PDF, but no text in it to index
    scanned.write_bytes(make_pdf([]))
    (unreadable,) = bot.add_documents([scanned]).files
    assert unreadable.status == "skipped" and unreadable.name == "scanned.pdf"
    assert "has no extractable text" in unreadable.reason
    with pytest.raises(InputError, match="5 files in one upload; the limit is 4"):
        bot.add_documents([*paths, ARTICLE])
    assert (bot.documents(), bot.store.count(), library_files(settings)) == before


def test_a_pdf_upload_is_answered_from(index_copy: Settings, tmp_path: Path) -> None:
    pdf = tmp_path / "tidal-report.pdf"
    pdf.write_bytes(make_pdf(["The Severn estuary has a tidal range of 15 metres.",
                              "It is the second highest tidal range in the world."],
                             title="Tides of the Severn"))
    bot = Bot(index_copy)
    (result,) = bot.add_documents([pdf]).files
    assert result.status == "added"
    entry = next(d for d in bot.documents() if d.doc_id == result.doc_id)
    assert (entry.type, entry.title) == ("pdf", "Tides of the Severn")
    answer = bot.ask("What is the tidal range of the Severn estuary?")
    assert not answer.abstained and "15 metres" in answer.text, answer.text
    assert result.doc_id in cited_docs(answer)


def test_an_upload_that_fails_half_way_leaves_everything_as_it_was(
        index_copy: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = Bot(index_copy)
    before = (bot.documents(), bot.store.count(), library_files(index_copy))
    real = Store.add_chunks

    def store_then_fail(self: Store, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)  # the chunks are written ...
        raise StoreError("the disk filled up")  # ... and then the run fails

    monkeypatch.setattr(Store, "add_chunks", store_then_fail)
    with pytest.raises(StoreError, match="the disk filled up"):
        bot.add_documents([ARTICLE])
    monkeypatch.undo()
    assert (bot.documents(), bot.store.count(), library_files(index_copy)) == before
    assert bot.ask(QUESTION).abstained


def test_concurrent_uploads_each_end_up_indexed_once(index_copy: Settings) -> None:
    bot = Bot(index_copy)
    start = threading.Barrier(3)
    reports: dict[str, Any] = {}

    def upload(key: str, path: Path) -> None:
        start.wait()
        reports[key] = bot.add_documents([path])

    files = {"a": ARTICLE, "b": SECOND_CORPUS / "sql-vs-nosql-guide.md", "c": ARTICLE}
    threads = [threading.Thread(target=upload, args=item) for item in files.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.files[0].status for r in reports.values())
    assert statuses == ["added", "added", "unchanged"], statuses
    entries = {d.doc_id: d for d in bot.documents()}
    assert {"nosql-at-scale", "sql-vs-nosql-guide"} <= set(entries) and len(entries) == 6
    assert bot.store.count() == sum(d.chunks for d in entries.values())
    assert len(library_files(index_copy)) == 3  # two uploads and metadata.json


def test_a_second_process_may_not_write_the_embedded_store(index_copy: Settings) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from bot.settings import load_settings\nfrom bot.store import hold\n"
         f"hold(load_settings({{'data_dir': {str(index_copy.data_dir)!r}}}, environ={{}}))\n"
         "print('held', flush=True)\ntime.sleep(120)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreBusyError) as refused:
            ingest_corpus(index_copy, [ARTICLE])
        message = str(refused.value)
        assert f"is being written by citebot process {holder.pid}" in message
        assert "Library tab" in message and "chroma run --path" in message
        assert Bot(index_copy).store.count() == SEED_CHUNKS
    finally:
        holder.kill()
        holder.wait()
    assert ingest_corpus(index_copy, [ARTICLE]).files[0].status == "added"  # free again


def test_reindex_brings_back_a_removed_corpus_document_and_keeps_uploads(
        index_copy: Settings) -> None:
    bot = Bot(index_copy)
    bot.add_documents([ARTICLE])
    removed = bot.remove_document("revechat-llm-vs-genai")
    assert "a later `citebot ingest` of its folder adds it again" in removed.notes[0]
    report = bot.reindex()
    statuses = {r.doc_id: r.status for r in report.files}
    assert statuses["revechat-llm-vs-genai"] == "added"
    assert statuses["nosql-at-scale"] == "unchanged"  # the library folder is part of it
    assert {d.doc_id for d in bot.documents()} >= {"revechat-llm-vs-genai", "nosql-at-scale"}
    assert bot.store.count() == sum(d.chunks for d in bot.documents())


def test_a_fifo_a_symlink_and_a_bare_str_path_are_handled(index_copy: Settings,
                                                          tmp_path: Path) -> None:
    bot = Bot(index_copy)
    before = (bot.documents(), bot.store.count(), library_files(index_copy))
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)  # reading it would block for ever, holding the write lock
    link = tmp_path / "link.md"
    link.symlink_to(SECOND_CORPUS / "sql-vs-nosql-guide.md")
    reasons = {r.name: r.reason for r in bot.add_documents([fifo, link]).files}
    assert reasons["pipe.md"] == "pipe.md is not a regular file; upload the file itself"
    assert reasons["link.md"] == "link.md is a symbolic link; upload the file itself"
    assert (bot.documents(), bot.store.count(), library_files(index_copy)) == before
    (result,) = bot.add_documents(str(ARTICLE)).files  # one path as a str, not its letters
    assert (result.status, result.doc_id) == ("added", "nosql-at-scale")


def test_an_upload_killed_mid_way_leaves_no_file_a_reindex_would_add(
        index_copy: Settings, tmp_path: Path) -> None:
    """Issue 24 item 8: `citebot docs add` SIGKILLed right after copying the file in, before
    indexing it. The file and its journal are left as a kill leaves them; the next write
    (here a re-index) removes the file instead of indexing what the user never saw added."""
    from ingest.library import PENDING_FILE
    from tests.test_faults import kill_citebot, write_config

    note = tmp_path / "killed-note.md"
    note.write_text("# Killed\n\nA note about quorum reads in a wide-column store.\n")
    kill_citebot(write_config(tmp_path, index_copy), "copied killed-note.md into the library",
                 "docs", "add", str(note))
    folder = index_copy.library_path
    left = library_files(index_copy)
    assert PENDING_FILE in left and any(n.endswith(".md") for n in left), left
    (folder / ".upload-x1y2z3").write_bytes(b"half a file")  # as a kill mid-write leaves
    report = Bot(index_copy).reindex()
    assert library_files(index_copy) == []
    assert "killed-note" not in {d.doc_id for d in Bot(index_copy).documents()}
    assert report.index_chunks == SEED_CHUNKS and report.added == 0
