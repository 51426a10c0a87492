"""The store's reads and writes at sizes Chroma refuses in one call (real embedded Chroma)."""

from __future__ import annotations

import pytest

import bot.store.rows as store_module
from bot.api import Bot
from bot.settings import Settings
from bot.store.rows import batches as _batches
from tests.conftest import SEED_CHUNKS


def test_reads_page_through_every_row(built_index: Settings,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """One unpaginated get fails past 32,766 rows; with pages of 7 the seed chunks must
    still all come back, each once, in the same order as with one page."""
    whole = Bot(built_index.with_overrides(model="extractive")).store
    expected = whole.all_chunks()
    metadata, keys = whole.chunk_metadata(), whole.document_keys()  # read in one page each
    monkeypatch.setattr(store_module, "PAGE", 7)
    paged = Bot(built_index.with_overrides(model="extractive")).store
    chunks = paged.all_chunks()
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in expected]
    assert len(chunks) == SEED_CHUNKS
    assert paged.chunk_metadata() == metadata and len(metadata) == SEED_CHUNKS
    assert paged.document_keys() == keys and len(keys) == 4


def test_writes_are_cut_by_count_and_by_size(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [len(b) for b in _batches(list(range(600)))] == [256, 256, 88]
    monkeypatch.setattr(store_module, "BATCH_CHARS", 10)
    sizes = [4, 4, 4, 30, 1]
    batches = list(_batches(sizes, size=lambda n: n))
    assert batches == [[4, 4], [4], [30], [1]]  # an item over the limit still goes, alone
