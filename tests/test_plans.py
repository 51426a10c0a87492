"""The plans on small documents built in the test: chunks from the real chunker, the real
embedder, no index. What is asserted is which section a plan picks and what it takes."""

from __future__ import annotations

import pytest

from bot.plans import Corpus, DocInfo
from bot.plans.aspects import with_aspects
from bot.plans.listing import plan_list
from bot.plans.ranking import ignorable, searched, subject_words
from bot.schema import Document, Passage
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
def corpus() -> Corpus:
    from bot.backends.embedders import make_embedder

    doc = Document("kitchen", "Kitchen knives", "kitchen.md", KITCHEN, {"suffix": ".md"})
    chunks = chunk_document(doc)
    return Corpus(chunks, {"kitchen": DocInfo("kitchen", "Kitchen knives", "Cutlery Weekly")},
                   lambda q, k: [], embed=make_embedder("minilm").embed_documents)


def test_a_list_whose_heading_matches_only_in_meaning_is_found(corpus: Corpus) -> None:
    """Both headings share the same words with the question ('paring knife'); the meaning of
    'When to use ...' is what makes it the answer to 'in which situations'."""
    draft = plan_list(QUESTION, [], corpus)
    assert draft is not None
    texts = [p.text for p in draft.blocks[0].items]
    assert "Deveining prawns." in texts and "Hulling strawberries." in texts
    assert not any("whetstone" in t for t in texts)


def test_without_an_embedder_words_alone_decide(corpus: Corpus) -> None:
    words_only = Corpus(corpus.chunks, corpus.documents, corpus.retrieve)
    draft = plan_list(QUESTION, [], words_only)
    assert draft is not None  # a tie in words: the first section, not the one meant
    assert any("whetstone" in p.text for p in draft.blocks[0].items)


def test_words_that_point_at_a_document_are_not_what_is_asked() -> None:
    from bot.plans import terms

    assert terms("according to the piece that covers industries, give every item") == terms(
        "industries")
    assert not terms("according to the article, per the blog post, every item")


STOVES = """# Gas stoves and induction hobs

How the two kinds of hob cook, and what each costs to run.

## How a gas stove works

A gas stove burns natural gas or propane under the pan, and the flame heats it directly.

## How an induction hob works

An induction hob heats the pan itself with a magnetic field, so the glass stays cool.
Induction hobs come in several designs, including:

- Single-zone plates: one coil, sized for a single pan.
- Flex zones: a grid of coils that follows the pan across the surface.
- Portable units: a plug-in hob for a counter or a camp kitchen.

## Running costs

Gas is cheaper per kilowatt-hour in many countries, but induction wastes less heat.
"""


@pytest.fixture(scope="module")
def stoves() -> Corpus:
    from bot.backends.embedders import make_embedder

    chunks = chunk_document(Document("stoves", "Gas stoves and induction hobs", "stoves.md",
                                     STOVES, {"suffix": ".md"}), chunk_size=300)
    return Corpus(chunks, {
        "stoves": DocInfo("stoves", "Gas stoves and induction hobs"),
        "other": DocInfo("other", "Choosing between gas stoves and induction hobs")},
        lambda q, k: [Passage(c, 1.0) for c in chunks][:k],
        embed=make_embedder("minilm").embed_documents)


def test_an_aspect_of_a_comparison_gets_each_things_statements(stoves: Corpus) -> None:
    """No table: 'how they work' is found in prose, one sub-query per thing; a statement
    that opens a list brings the list's items with it."""
    draft = with_aspects(None, "Compare how gas stoves and induction hobs work.",
                         ["gas stoves", "induction hobs"], "compare", [], stoves,
                         stoves.embed)
    assert draft is not None and draft.shape == "comparison"
    by_thing = {b.caption: [p.text for p in b.items] for b in draft.blocks}
    assert set(by_thing) == {"gas stoves", "induction hobs"}
    assert any("flame heats it directly" in t for t in by_thing["gas stoves"])
    hob = by_thing["induction hobs"]
    assert any("magnetic field" in t for t in hob)
    lead = next(i for i, t in enumerate(hob) if t.endswith("including:"))
    assert hob[lead + 1].startswith("Single-zone plates") and hob[-1].startswith("Portable")
    for block in draft.blocks:  # every bullet is the source's own span
        assert all(p.quote == p.text for p in block.items)


def test_a_comparison_with_no_aspect_gets_no_prose(stoves: Corpus) -> None:
    """'What are the differences' names no aspect: the things and words every title shares
    are not one, so nothing is added (the table answers it)."""
    assert with_aspects(None, "What are the main differences between gas stoves and "
                        "induction hobs?", ["gas stoves", "induction hobs"],
                        "difference differences main", [], stoves, stoves.embed) is None


def test_the_subject_every_title_shares_is_not_what_is_looked_for(stoves: Corpus) -> None:
    assert subject_words(stoves).casefold().split() == ["gas", "stoves", "induction", "hobs"]
    assert ignorable("What do the articles say about gas stoves and running costs?",
                     stoves) == subject_words(stoves)  # left out: running costs are asked
    assert ignorable("gas stoves and induction hobs", stoves) == ""  # nothing else asked
    found = searched("is gas cheaper", "stoves", stoves, 3, ignore=subject_words(stoves))
    assert [p.text for p in found] == ["Gas is cheaper per kilowatt-hour in many countries, "
                                       "but induction wastes less heat."]
    assert len(searched("is gas cheaper", "stoves", stoves, 3)) == 2  # and the gas stove


EXPORT = """Most tasks write a data frame to a file as a grid of numbers with labels.

There are a number of issues that need to be considered in writing out a data frame to a text file.

1. Precision

Conversions of real numbers are done to full precision.

2. Header line

R prefers the header line to have no entry for the row names.

3. Separator

A common field separator is a comma or a tab.
"""
ENV = """# Environment Variables

Here is a list of environment variables that the client recognizes and what each does.

## `CLIENT_DEBUG`

Prints every request when set.

## `CERT_FILE`

Loads certificates from this file.

## `CERT_DIR`

Loads certificates from this folder.
"""


def _one_document(doc_id: str, title: str, text: str) -> Corpus:
    chunks = chunk_document(Document(doc_id, title, f"{doc_id}.md", text, {"suffix": ".md"}),
                            chunk_size=200, chunk_overlap=0)
    return Corpus(chunks, {doc_id: DocInfo(doc_id, title)},
                   lambda q, k: [Passage(c, 1.0 - i / 10) for i, c in enumerate(chunks)][:k])


@pytest.mark.parametrize(("doc_id", "title", "text", "question", "wanted"), [
    # Items at a document's top, under no heading: the sentence before them says what they are.
    ("export", "Data Import/Export", EXPORT,
     "What issues are there when writing a data frame out to a text file?",
     ["full precision", "header line", "field separator"]),
    # Sub-sections whose headings are names are the items of the section above them.
    ("env", "Environment Variables", ENV, "Which environment variables does the client know?",
     ["CLIENT_DEBUG", "CERT_FILE", "CERT_DIR"]),
])
def test_a_list_is_found_by_its_lead_in_or_its_named_sub_sections(
        doc_id: str, title: str, text: str, question: str, wanted: list[str]) -> None:
    corpus = _one_document(doc_id, title, text)
    draft = plan_list(question, corpus.retrieve(question, 10), corpus)
    assert draft is not None
    shown = " ".join(p.text for b in draft.blocks for p in (*b.pieces(), *b.labels) if p)
    assert all(w.casefold() in shown.casefold() for w in wanted), shown
