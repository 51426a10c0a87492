"""The plans on small documents built in the test: chunks from the real chunker, the real
embedder, no index. What is asserted is which section a plan picks and what it takes."""

from __future__ import annotations

import pytest

from bot.plans import DocInfo, Library
from bot.plans.listing import plan_list
from bot.schema import Document
from ingest.chunk import chunk_document

KITCHEN = """# Kitchen knives

A short guide to the knives a home cook needs and how to look after them.

## Paring knife maintenance

Wash it by hand and dry it at once; a dishwasher dulls the edge.

- Hone the edge weekly with a steel.
- Sharpen it on a whetstone twice a year.
- Store it in a block or on a magnetic strip.

## When to use a paring knife

A paring knife is the tool for small work held in the hand. Typical jobs include:

- Peeling apples and potatoes.
- Deveining prawns.
- Hulling strawberries.
- Scoring the skin of a sausage.
"""


QUESTION = "In which situations should I pick a paring knife? Per Cutlery Weekly."


@pytest.fixture(scope="module")
def library() -> Library:
    from bot.backends.embedders import make_embedder

    doc = Document("kitchen", "Kitchen knives", "kitchen.md", KITCHEN, {"suffix": ".md"})
    chunks = chunk_document(doc)
    return Library(chunks, {"kitchen": DocInfo("kitchen", "Kitchen knives", "Cutlery Weekly")},
                   lambda q, k: [], embed=make_embedder("minilm").embed_documents)


def test_a_list_whose_heading_matches_only_in_meaning_is_found(library: Library) -> None:
    """Both headings share the same words with the question ('paring knife'); the meaning of
    'When to use ...' is what makes it the answer to 'in which situations'."""
    draft = plan_list(QUESTION, [], library)
    assert draft is not None
    texts = [p.text for p in draft.blocks[0].items]
    assert "Deveining prawns." in texts and "Hulling strawberries." in texts
    assert not any("whetstone" in t for t in texts)


def test_without_an_embedder_words_alone_decide(library: Library) -> None:
    words_only = Library(library.chunks, library.documents, library.retrieve)
    draft = plan_list(QUESTION, [], words_only)
    assert draft is not None  # a tie in words: the first section, not the one meant
    assert any("whetstone" in p.text for p in draft.blocks[0].items)


def test_words_that_point_at_a_document_are_not_what_is_asked() -> None:
    from bot.plans import terms

    assert terms("according to the piece that covers industries, give every item") == terms(
        "industries")
    assert not terms("according to the article, per the blog post, every item")
