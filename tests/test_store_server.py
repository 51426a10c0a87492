"""Server mode: a real `chroma run` on 127.0.0.1, started by the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.api import Bot
from bot.errors import StoreError
from bot.settings import Settings
from ingest.pipeline import ingest_corpus
from tests.conftest import SEED_CHUNKS, free_port, make_settings


def server_settings(tmp: Path, port: int) -> Settings:
    return make_settings(tmp, chroma_host="127.0.0.1", chroma_port=port)


def test_ingest_and_retrieve_through_the_server(tmp_path: Path, chroma_server: int) -> None:
    settings = server_settings(tmp_path, chroma_server)
    first = ingest_corpus(settings)
    assert first.documents == 4 and first.added == first.chunks == SEED_CHUNKS
    assert not settings.chroma_path.exists()  # nothing went to the embedded store
    second = ingest_corpus(settings)
    assert second.added == 0 and second.unchanged == first.chunks
    passages = Bot(settings).retrieve("What does RLHF stand for?", k=3)
    assert any("Reinforcement Learning from Human Feedback" in p.text for p in passages)


def test_unreachable_server_is_a_clear_error_not_an_empty_store(tmp_path: Path) -> None:
    settings = server_settings(tmp_path, free_port())
    with pytest.raises(StoreError, match=r"cannot reach the Chroma server at 127\.0\.0\.1:\d+"):
        Bot(settings).retrieve("What is an LLM?")
    with pytest.raises(StoreError, match="chroma run"):
        ingest_corpus(settings)
