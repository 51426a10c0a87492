"""The cross-document plan: what each source says, one bullet per article, so agreement and
disagreement can be read (and stated by the model) per source.

A wider retrieval than for a fact; each document's passages that are close to the question
(in meaning or in its telling words) give their most relevant sentence or two. A top-layer
plan: a document that gives a list of what was asked is quoted with the list plan's list."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.backends.base import Embed
from bot.plans.corpus import Corpus, source_name
from bot.plans.draft import Draft, DraftBlock, Piece, leads, with_retrieved
from bot.plans.listing import Container, best_lists
from bot.plans.matching import weighted_overlap
from bot.plans.ranking import chunk_sentences, ignorable, ranked, searched, unique
from bot.plans.rows import matching_rows, table_block
from bot.schema import Passage

MIN_DENSE = 0.35
MIN_COVERAGE = 0.5
PER_DOCUMENT = 3
LIST_ITEMS = 8
MIN_ABOUT = 0.3
"""At least one piece must hold this share of the question's words (idf-weighted): 'what do
the articles say about the energy use of training' gets no bullets of definitions."""
LIST_HEADING = 0.5
"""A document's list stands for what it says only when its heading is about the question:
a list under 'LLMs' is not what an article says about whether ChatGPT is an LLM."""
MIN_SENTENCE_SCORE = 0.6
NEAR_BEST = 0.15
"""A document's sentences count when they score MIN_SENTENCE_SCORE (see
``bot.plans.ranking.ranked``) and are within NEAR_BEST of its best (a second sentence must
be about as relevant)."""
SEARCHED = 6
"""Each document's statements with most of the question's telling words join the candidates:
the chunks retrieval ranked best for the corpus may hold none of this article's words on it."""
WIDE_K = 36
"""Passages looked at before keeping each document's best few: one article often holds the
whole top 12, and then the others' words are never seen."""
_POINTER = re.compile(
    r"\b((across|in|from|of|by|all|both|each|every|the|these|those|\d+|two|three|four|five|"
    r"six|seven|eight|nine|ten|different|various|several|multiple)\s+)*(articles|sources|"
    r"documents|authors|texts|pages|posts|papers|blogs|writers)\b", re.I)
"""'Across the four articles': which sources, not what about ('four' would otherwise be
matched to a '4' in the text)."""


def plan_cross_document(question: str, passages: Sequence[Passage], corpus: Corpus,
                        embed: Embed) -> Draft | None:
    """Bullets of each relevant document's best sentences, or None with fewer than two."""
    question = " ".join(_POINTER.sub(" ", question).split()) or question
    by_doc = _relevant_by_document(question, passages, corpus)
    if len(by_doc) < 2:
        return None
    subject = ignorable(question, corpus)  # 'LLMs' in every title: what to look for is the rest
    scored = _scored_sentences(question, by_doc, corpus, embed, subject)
    lists = {c.doc_id: c for c in best_lists(question, passages, corpus, per_document=True)
             if c.heading >= LIST_HEADING}
    blocks = [block for doc in by_doc for block in
              _document_blocks(question, doc, by_doc[doc], scored, lists.get(doc), corpus)]
    said = [p for b in blocks for p in b.pieces()]
    if max((weighted_overlap(question, p.text, corpus.idf, ignore=subject) for p in said),
           default=0.0) < MIN_ABOUT:
        return None  # the sources talk near the question, none about it: let the fact path decide
    if len({b.caption for b in blocks if b.caption}) < 2:
        return None
    chunks = [p.chunk for p in said]
    return Draft("cross_document", tuple(blocks), with_retrieved(passages, chunks),
                 intro="What each source says:", lead_passages=leads(passages))


def _relevant_by_document(question: str, passages: Sequence[Passage], corpus: Corpus
                          ) -> dict[str, list[Passage]]:
    """The passages close to the question (in meaning or in its telling words), by document."""
    relevant = [p for p in _per_document(question, passages, corpus)
                if p.scores.get("dense", 0.0) >= MIN_DENSE
                or p.scores.get("coverage", 0.0) >= MIN_COVERAGE]
    by_doc: dict[str, list[Passage]] = {}
    for p in relevant:
        by_doc.setdefault(p.doc_id, []).append(p)
    return by_doc


def _scored_sentences(question: str, by_doc: Mapping[str, Sequence[Passage]], corpus: Corpus,
                      embed: Embed, subject: str) -> list[tuple[float, str, Piece]]:
    """Each document's candidate sentences (of its best passages, and those holding most of
    the question's telling words) with their scores and documents, best first."""
    candidates = unique([*(s for ps in by_doc.values() for p in ps[:3]
                           for s in chunk_sentences(p.chunk)),
                         *(s for doc in by_doc for s in searched(question, doc, corpus,
                                                                 SEARCHED, ignore=subject))])
    return [(score, s.chunk.doc_id, s) for score, s in ranked(question, candidates, corpus,
                                                               embed, ignore=subject)]


def _document_blocks(question: str, doc: str, passages: Sequence[Passage],
                     scored: Sequence[tuple[float, str, Piece]], found: Container | None,
                     corpus: Corpus) -> list[DraftBlock]:
    """What one document says: the list it gives of what was asked (``found``), all of it;
    or its table rows naming what was asked, and its best sentences."""
    if found is not None:
        return [DraftBlock("bullets", found.items[:LIST_ITEMS], title=found.title,
                           labels=found.labels[:LIST_ITEMS], caption=source_name(corpus, doc))]
    blocks = []
    rows = [m for m, _ in matching_rows(question, passages, corpus, doc)]
    if rows:  # a row of the document's table names what was asked
        block, _ = table_block([(m, 1.0) for m in rows])
        blocks.append(DraftBlock("table", header=block.header, rows=block.rows,
                                 caption=source_name(corpus, doc)))
    best = sorted((x for x in scored if x[1] == doc), key=lambda x: -x[0])
    picked = [s for score, _, s in best if score >= MIN_SENTENCE_SCORE
              and score >= best[0][0] - NEAR_BEST][:PER_DOCUMENT]
    if picked:
        blocks.append(DraftBlock("bullets", tuple(sorted(picked, key=lambda s: s.start)),
                                 caption="" if rows else source_name(corpus, doc)))
    return blocks


def _per_document(question: str, passages: Sequence[Passage], corpus: Corpus
                  ) -> list[Passage]:
    """The given passages, then each document's best from a wider retrieval, up to
    PER_DOCUMENT passages a document: every article gets its say."""
    seen = {p.chunk.chunk_id for p in passages}
    count: dict[str, int] = {}
    for p in passages:
        count[p.doc_id] = count.get(p.doc_id, 0) + 1
    out = list(passages)
    for p in corpus.retrieve(question, WIDE_K):
        if p.chunk.chunk_id not in seen and count.get(p.doc_id, 0) < PER_DOCUMENT:
            count[p.doc_id] = count.get(p.doc_id, 0) + 1
            seen.add(p.chunk.chunk_id)
            out.append(p)
    return out
