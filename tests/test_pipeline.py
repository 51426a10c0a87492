"""Ingestion end to end with the real embedder and a real embedded Chroma in a temp dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.api import Bot
from bot.errors import IndexMissingError
from ingest.pipeline import ingest_corpus
from tests.conftest import make_settings


def test_first_run_embeds_everything_second_run_nothing(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path, corpus=(corpus_copy,))
    first = ingest_corpus(settings)
    assert first.documents == 4 and first.rebuilt
    assert first.added == first.chunks > 40
    second = ingest_corpus(settings)
    assert (second.added, second.updated, second.deleted) == (0, 0, 0)
    assert second.unchanged == second.chunks == first.chunks
    assert not second.rebuilt


def test_changed_and_removed_articles(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path, corpus=(corpus_copy,))
    before = ingest_corpus(settings)
    article = corpus_copy / "000_de73035fdb6d6bc4.txt"
    text = article.read_text()
    article.write_text("A new opening paragraph about diffusion models and their uses.\n\n" + text)
    changed = ingest_corpus(settings)
    assert changed.added >= 1 and changed.updated >= 1  # new text embedded, moved offsets updated
    assert changed.added < before.chunks / 4             # only that article's new pieces
    bot = Bot(settings)
    top = bot.retrieve("new opening paragraph about diffusion models", k=1)[0]
    assert "new opening paragraph" in top.text
    doc = bot.document(top.chunk.chunk_id)
    assert doc is not None and doc.text[top.chunk.start:top.chunk.end] == top.chunk.text

    (corpus_copy / "002_513130e280630361.txt").unlink()
    removed = ingest_corpus(settings)
    assert removed.documents == 3 and removed.deleted > 0
    ids = {c.doc_id for c in Bot(settings).store.all_chunks()}
    assert len(ids) == 3


def test_bad_file_is_reported_and_its_old_chunks_kept(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path, corpus=(corpus_copy,))
    before = ingest_corpus(settings)
    (corpus_copy / "001_bc5c6cd500737e32.txt").write_bytes(b"\x00\x01binary\xff\x00")
    (corpus_copy / "empty.txt").write_text("")
    after = ingest_corpus(settings)
    names = {Path(p.path).name for p in after.problems}
    assert names == {"001_bc5c6cd500737e32.txt", "empty.txt"}
    assert after.deleted == 0 and after.chunks == before.chunks


def test_changed_chunk_settings_rebuild_instead_of_mixing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    small = ingest_corpus(settings)
    bigger = ingest_corpus(settings.with_overrides(chunk_size=1200))
    assert bigger.rebuilt and bigger.index != small.index
    assert bigger.added == bigger.chunks < small.chunks
    with pytest.raises(IndexMissingError, match=r"chunk_size 1200.*run `citebot ingest`"):
        Bot(settings).retrieve("what is an LLM")


def test_interrupted_rebuild_leaves_the_previous_index_usable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    built = ingest_corpus(settings)

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_corpus(settings, rebuild=True, progress=crash)
    bot = Bot(settings)
    assert bot.store.count() == built.chunks
    assert bot.retrieve("What does RLHF stand for?", k=3)
    again = ingest_corpus(settings, rebuild=True)
    assert again.rebuilt and again.chunks == built.chunks


def test_interrupted_first_build_is_finished_by_the_next_run(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    calls = []

    def crash_after_first_batch(done: int, total: int) -> None:
        calls.append(done)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_corpus(settings, progress=crash_after_first_batch)
    with pytest.raises(IndexMissingError):
        Bot(settings).store.count()
    finished = ingest_corpus(settings)
    assert finished.added == finished.chunks - calls[0]  # the first batch is not embedded again


def test_other_roots_are_left_alone(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path, corpus=(corpus_copy,))
    base = ingest_corpus(settings)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "notes.md").write_text("# Notes\n\nRetrieval augmented generation grounds answers.\n")
    added = ingest_corpus(settings, [extra])
    assert added.documents == 1 and added.deleted == 0 and added.chunks > base.chunks
    shutil.rmtree(extra)
    extra.mkdir()
    emptied = ingest_corpus(settings, [extra])
    assert emptied.chunks == base.chunks
