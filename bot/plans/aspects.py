"""A comparison's aspects in prose: for a question about particular aspects ('compare the
architectures behind X and Y', 'how do X and Y differ in who can use them'), what the sources
say of each thing compared on them, one sub-query per thing.

A comparison table answers 'what are the differences' row by row, but the words of an aspect
('architectures') seldom match a row's label ('How It Works'), and articles often compare in
prose, one section per thing. The sub-query 'architectures behind X' finds X's passages on the
point; their best statements that name X become X's bullets.

The comparison plan, a layer up, adds these to its table (``with_aspects``, ``extended``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.backends.base import Embed
from bot.plans.corpus import Corpus
from bot.plans.draft import Draft, DraftBlock, Piece, leads, with_retrieved
from bot.plans.matching import names_thing, terms, weighted_overlap
from bot.plans.ranking import chunk_sentences, ranked, subject_words, unique
from bot.plans.spans import LABELLED, parts_of, piece
from bot.schema import Chunk, Passage
from bot.text import content_words

SUB_QUERY_K = 8
PER_THING = 3
MAX_ITEMS = 12
MIN_SCORE = 0.5
"""A statement counts when its score (``bot.plans.ranking.ranked``: cosine to the sub-query
plus half the share of the aspect's words it holds) reaches this, and is within NEAR_BEST of
the thing's best one."""
NEAR_BEST = 0.25
MIN_ASPECT_WEIGHT = 0.5
"""The aspect's words must weigh this much in idf: 'main', 'key' and the corpus's own
subject words say nothing about which aspect."""


def with_aspects(draft: Draft | None, question: str, things: Sequence[str], ignore: str,
                 passages: Sequence[Passage], corpus: Corpus, embed: Embed | None
                 ) -> Draft | None:
    """``draft`` and, when the question names aspects beyond the things compared, each
    thing's statements on them (not those the draft already shows)."""
    ignore = f"{ignore} {subject_words(corpus)}"
    aspect = [w for w in dict.fromkeys(content_words(question, question=True)) if terms(w) and
              not terms(w) <= terms(ignore)]
    if embed is None or sum(corpus.idf(t) for t in terms(" ".join(aspect))) < MIN_ASPECT_WEIGHT:
        return draft
    shown = {(p.chunk.doc_id, p.start) for b in (draft.blocks if draft else ())
             for p in b.pieces()}
    blocks: list[DraftBlock] = []
    for thing in things[:2]:
        others = [t for t in things[:2] if t != thing]
        bullets = _bullets(_sub_query(question, thing, others, aspect), " ".join(aspect), thing,
                           corpus, embed, shown)
        if bullets:
            shown |= {(p.chunk.doc_id, p.start) for p in bullets}
            blocks.append(DraftBlock("bullets", tuple(bullets), caption=thing))
    if len({b.caption for b in blocks if b.caption}) < 2:
        return draft
    return extended(draft, blocks, [p.chunk for b in blocks for p in b.items], passages, things)


def extended(draft: Draft | None, blocks: Sequence[DraftBlock], chunks: Sequence[Chunk],
             passages: Sequence[Passage], things: Sequence[str]) -> Draft:
    """``draft`` with ``blocks`` (from ``chunks``) after its own, or a comparison of
    ``things`` made of them alone."""
    if draft is None:
        return Draft("comparison", tuple(blocks), with_retrieved(passages, chunks),
                     intro=f"How the sources compare {things[0]} and {things[1]}:",
                     lead_passages=leads(passages))
    return Draft(draft.shape, (*draft.blocks, *blocks), with_retrieved(draft.passages, chunks),
                 intro=draft.intro, lead_passages=draft.lead_passages)


def _in_table(statement: Piece) -> bool:
    return any(part.kind in ("row", "header") and part.start <= statement.start < part.end
               for part in statement.chunk.parts)


def following_items(lead_in: Piece, corpus: Corpus) -> list[Piece]:
    """The list items ('- ...' or 'Label: ...' paragraphs) right after ``lead_in`` in its
    section, up to the next other paragraph."""
    chunk = lead_in.chunk
    own = [c for c in corpus.section(chunk.doc_id, chunk.heading_path)
           if c.heading_path == chunk.heading_path]
    parts = sorted(parts_of(own, "item") + parts_of(own, "paragraph"), key=lambda cp: cp[1].start)
    items = []
    for c, part in parts:
        if part.start < lead_in.end:
            continue
        if part.kind != "item" and not LABELLED.match(c.span_text(part.start, part.end)):
            break
        if (found := piece(c, part.start, part.end)) is not None:
            items.append(found)
    return items[:MAX_ITEMS]


def _sub_query(question: str, thing: str, others: Sequence[str], aspect: Sequence[str]) -> str:
    """The question about ``thing`` alone: the other thing's name taken out ('compare how
    gas stoves and induction hobs work' -> 'compare how induction hobs work'), which keeps
    its wording for the embedder; or the aspect's words and the thing."""
    query = question
    for other in others:
        query = re.sub(rf"(\band\s+|\bor\s+|\bvs\.?\s+|\bversus\s+)?(?<!\w){re.escape(other)}"
                       r"(?!\w)(\s+and\b|\s+or\b|\s+vs\b\.?|\s+versus\b)?", " ", query,
                       flags=re.IGNORECASE)
    if query == question:
        return f"{' '.join(aspect)} {thing}"
    return " ".join(query.split())


def _bullets(query: str, aspect: str, thing: str, corpus: Corpus, embed: Embed,
             shown: set[tuple[str, int]]) -> list[Piece]:
    """The best statements naming ``thing`` (or under a heading naming it) that the
    sub-query finds, in document order, each scored with its heading, which says what it is
    about ('How an induction hob works'). Each holds a word of the aspect, in it or in its
    heading: 'NoSQL is an umbrella term' is about NoSQL, not how it scales. A statement
    that opens a list ('... including:') brings the list's items. Table rows and cells are
    left to the table."""
    found = unique(s for p in corpus.retrieve(query, SUB_QUERY_K)
                   for s in chunk_sentences(p.chunk)
                   if (s.chunk.doc_id, s.start) not in shown and not _in_table(s)
                   and weighted_overlap(aspect, f"{' '.join(s.chunk.heading_path[-1:])} "
                                        f"{s.text}", corpus.idf) > 0
                   and (names_thing(thing, s.text)
                        or names_thing(thing, " ".join(s.chunk.heading_path[-1:]))))
    scored = ranked(query, found, corpus, embed, ignore=thing, headed=True)
    best = scored[0][0] if scored else 0.0
    good = [p for score, p in scored if score >= MIN_SCORE and score >= best - NEAR_BEST]
    lists = {(p.chunk.doc_id, p.start): following_items(p, corpus) for p in good
             if p.text.endswith(":")}
    listed = {(i.chunk.doc_id, i.start) for items in lists.values() for i in items}
    picked = [p for p in good if (p.chunk.doc_id, p.start) not in listed][:PER_THING]
    bullets = []
    for statement in sorted(picked, key=lambda p: (p.chunk.doc_id, p.start)):
        bullets += [statement, *lists.get((statement.chunk.doc_id, statement.start), [])]
    return bullets
