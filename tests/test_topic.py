"""Nothing of one corpus in what the model is told: its topic is the library's (the indexed
documents' titles) or the ``topic`` setting, and the user-facing texts name no subject."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.prompt import library_topic
from bot.api import Bot
from bot.backends.extractive import ExtractiveGenerator
from bot.errors import InputError
from bot.question import checked_question
from ingest.pipeline import ingest_corpus
from tests.conftest import SECOND_CORPUS, make_settings
from tests.data.hostile.attacks import RecordingGenerator

SEED_SUBJECT = ("LLM", "generative", "language model")


def _system_prompt(tmp: Path, **overrides: object) -> str:
    settings = make_settings(tmp, corpus=(SECOND_CORPUS,), model="extractive", **overrides)
    ingest_corpus(settings)
    recorder = RecordingGenerator(ExtractiveGenerator())
    bot = Bot(settings, generators={"extractive": recorder})
    answer = bot.ask("Which consistency levels can a query choose in Apache Cassandra?")
    assert not answer.abstained, answer.text
    return recorder.requests[-1].messages[0].content


def test_the_model_is_told_the_librarys_titles_not_the_seed_corpus_subject(
        tmp_path: Path) -> None:
    system = _system_prompt(tmp_path)
    assert "SQL vs NoSQL Databases: A Practical Guide" in system
    assert not [w for w in SEED_SUBJECT if w.lower() in system.lower()], system
    assert len(system.split("\n")[0]) < 200  # the topic line stays short: it costs prompt time


def test_a_topic_setting_replaces_the_titles(tmp_path: Path) -> None:
    system = _system_prompt(tmp_path, topic="choosing and running databases")
    assert system.startswith("You answer questions about choosing and running databases.")
    assert "Practical Guide" not in system


def test_the_derived_topic_keeps_to_its_budget_and_counts_the_rest() -> None:
    titles = [f"Chapter {i}: on the care and feeding of well-kept ledgers" for i in range(30)]
    topic = library_topic(titles, limit=160)
    assert len(topic) <= 160 and topic.endswith("others)"), topic
    assert library_topic([]) == "the documents in the library"


@pytest.mark.parametrize("question", ["", "[1][2]"])
def test_refusals_name_no_corpus_subject(question: str) -> None:
    with pytest.raises(InputError) as refused:
        checked_question(question, 100)
    assert not [w for w in SEED_SUBJECT if w.lower() in str(refused.value).lower()]
