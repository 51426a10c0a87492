"""Questions about the documents themselves (bot/plans/catalogue.py): the plan on documents
built here with the real chunker, then the whole pipeline on the seed index (real Chroma, the
real embedder, the extractive backend: these answers need no model)."""

from __future__ import annotations

import pytest

from bot.api import Bot
from bot.plans import Corpus, DocInfo
from bot.plans.catalogue import asks_for_the_library, plan_catalogue
from bot.schema import Document
from bot.settings import Settings
from ingest.chunk import chunk_document

MANUAL = """# Data Import and Export

This manual describes the import and export facilities available in R itself.

## Acknowledgements

The principal author of this manual was Brian Ripley. Many volunteers have contributed.
"""
NOTES = """# Field notes

Notes taken on a walk along the river, about herons and kingfishers.
"""


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    chunks = [*chunk_document(Document("manual", "R Data Import/Export", "manual.md", MANUAL,
                                       {"suffix": ".md"})),
              *chunk_document(Document("notes", "Field notes", "notes.md", NOTES,
                                       {"suffix": ".md"}))]
    return Corpus(chunks, {"manual": DocInfo("manual", "R Data Import/Export", "R Core Team",
                                              "R Core Team"),
                            "notes": DocInfo("notes", "Field notes")}, lambda q, k: [])


def test_the_text_saying_who_wrote_it_is_quoted_beside_the_catalogue(corpus: Corpus) -> None:
    draft = plan_catalogue("Who was the principal author of the R Data Import/Export manual?",
                           corpus)
    assert draft is not None
    assert draft.intro.startswith("“R Data Import/Export” is by R Core Team")
    assert draft.blocks[0].items[0].quote == "The principal author of this manual was Brian Ripley."


def test_a_document_whose_entry_names_nobody_is_left_to_the_other_plans(corpus: Corpus) -> None:
    assert plan_catalogue("Who wrote the field notes?", corpus) is None


@pytest.mark.parametrize("question", [
    "What line terminator does the csv writer use by default?",  # 'writer' of another kind
    "tl;dr of the post written by R Core Team",                  # the author points at it
    "What does the writer of the R Data Import/Export manual say about Excel?",
    "Which documents are about herons?",                         # asks about herons
])
def test_questions_that_only_mention_writing_or_documents_are_not_about_the_catalogue(
        corpus: Corpus, question: str) -> None:
    assert plan_catalogue(question, corpus) is None


@pytest.mark.parametrize(("question", "asks"), [
    ("Which documents do you have?", True),
    ("list your sources", True),
    ("how many files are loaded", True),
    ("what's in the library", True),
    ("Which documents are about sorting?", False),
    ("List the sources of error in a measurement", False),
])
def test_asking_for_the_library_and_nothing_else(question: str, asks: bool) -> None:
    assert asks_for_the_library(question) is asks


def test_the_seed_articles_author_comes_from_the_catalogue_cited_to_the_article(
        built_index: Settings) -> None:
    bot = Bot(built_index.with_overrides(model="extractive"))
    answer = bot.ask("Who wrote the REVE Chat article on LLM vs generative AI?")
    assert not answer.abstained
    assert "written by Nur-Nabi Siddique and published by REVE Chat" in answer.text
    assert {c.doc_id for c in answer.citations} == {"revechat-llm-vs-genai"}
    assert answer.verified


def test_which_documents_lists_every_one_with_its_opening_cited(built_index: Settings) -> None:
    bot = Bot(built_index.with_overrides(model="extractive"))
    answer = bot.ask("Which documents do you have?")
    listed = bot.documents()
    assert answer.text.startswith(f"The library holds {len(listed)} documents")
    assert {c.doc_id for c in answer.citations} == {d.doc_id for d in listed}
    assert all(d.title in answer.text for d in listed)
    assert answer.verified
