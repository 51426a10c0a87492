"""The list plan: every item of the list the sources give, even across chunks.

A list is a section (a document and heading path) whose items are its list-item parts, its
numbered sub-sections ('1. Ethical Dilemmas', '2. ...'), or its 'Label: text' paragraphs.
Sections are proposed by the retrieved passages (their own section and its parent) and, when
the question names a document, by that document's sections; the one whose heading and
passages best match the question wins, and all its items are taken, in order.

The comparison and cross-document plans, a layer up, quote these lists too (``best_lists``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.plans.corpus import Corpus, named_document, source_line, without_names
from bot.plans.draft import Draft, DraftBlock, Piece, leads, with_retrieved
from bot.plans.matching import names_thing, weighted_overlap
from bot.plans.rows import RowMatch, matching_rows, table_block, whole_tables
from bot.plans.spans import LABELLED, first_sentence, heading_piece, parts_of, piece
from bot.plans.tables import block_from_rows
from bot.schema import Chunk, Passage, ShapeKind
from bot.text import cosine

MIN_ITEMS = 2
MAX_ITEMS = 20
MIN_SCORE = 0.45
MIN_MATCH = 0.3
"""A list is the one asked for when its heading, or one of its items, holds this share of the
question's words (idf-weighted): the best-retrieved section is not a list of what was asked
just because it is a list."""
MIN_MEANING = 0.7
"""Or when its own heading is this close to the question in meaning (cosine of the
embeddings): 'When to Use X' answers 'what is X the right choice for' without a word shared
but X, which every heading of the corpus may share."""
SHORT_ITEM = 60
"""An item this short is a name ('- Variational Autoencoders (VAEs)'); the paragraph after it
describes it, so its first sentence goes with the item."""
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s")
LEAD_IN_CHARS = 300
MIN_CHILDREN = 3
NAME_WORDS = 4


@dataclass(frozen=True)
class Container:
    doc_id: str
    path: tuple[str, ...]
    items: tuple[Piece, ...]
    labels: tuple[Piece | None, ...]
    title: Piece | None
    chunks: tuple[Chunk, ...]
    score: float
    heading: float = 0.0  # share of the question's words (idf-weighted) in the heading path


def plan_list(question: str, passages: Sequence[Passage], corpus: Corpus) -> Draft | None:
    """The best-matching list's items as bullets, or its table rows; None when nothing in
    the sources is a list this question asks for."""
    named = named_document(question, corpus)
    question = without_names(question, corpus)
    best = max(_containers(question, passages, corpus, named), key=lambda c: c.score,
               default=None)
    rows = matching_rows(question, passages, corpus, named)
    tables = whole_tables(question, passages, corpus, named)
    if tables and (best is None or tables[0][1] > best.score) and (
            not rows or tables[0][1] >= rows[0][1]):
        table = tables[0][0]
        block, chunks = block_from_rows(table, table.rows, range(len(table.header.cells)))
        return Draft("list", (block,), with_retrieved(passages, chunks),
                     intro=source_line(corpus, table.doc_id),
                     lead_passages=leads(passages))
    if rows and (best is None or rows[0][1] > best.score):
        return table_block_draft("list", question, rows, passages, corpus)
    if best is None or best.score < MIN_SCORE:
        return None
    return Draft("list", (list_block(best),), with_retrieved(passages, best.chunks),
                 intro=source_line(corpus, best.doc_id), lead_passages=leads(passages))


def best_lists(question: str, passages: Sequence[Passage], corpus: Corpus, *,
               must_name: str = "", per_document: bool = False) -> list[Container]:
    """The lists that answer ``question`` best: one overall, or the best of each document.
    With ``must_name``, only lists whose heading names that thing ('When to Use LLMs' for
    'LLMs'): the sub-query of a comparison, one thing at a time."""
    found = [c for c in _containers(question, passages, corpus, None)
             if c.score >= MIN_SCORE
             and (not must_name or names_thing(must_name, " ".join(c.path)))]
    found.sort(key=lambda c: -c.score)
    if not per_document:
        return found[:1]
    best: dict[str, Container] = {}
    for c in found:
        best.setdefault(c.doc_id, c)
    return list(best.values())


def list_block(container: Container, caption: str = "") -> DraftBlock:
    return DraftBlock("bullets", container.items, title=container.title,
                      labels=container.labels, caption=caption)


def table_block_draft(shape: ShapeKind, question: str, rows: Sequence[tuple[RowMatch, float]],
                      passages: Sequence[Passage], corpus: Corpus) -> Draft:
    block, chunks = table_block(rows)
    doc_id = chunks[0].doc_id
    return Draft(shape, (block,), with_retrieved(passages, chunks),
                 intro=source_line(corpus, doc_id), lead_passages=leads(passages))


def _containers(question: str, passages: Sequence[Passage], corpus: Corpus,
                named: str | None) -> list[Container]:
    top = max((p.score for p in passages), default=0.0) or 1.0
    strength: dict[tuple[str, tuple[str, ...]], float] = {}
    for p in passages:
        for path in (p.chunk.heading_path, p.chunk.heading_path[:-1]):
            key = (p.doc_id, path)
            strength[key] = max(strength.get(key, 0.0), p.score / top)
    if named:
        for chunk in corpus.doc_chunks(named):
            for path in (chunk.heading_path, chunk.heading_path[:-1]):
                strength.setdefault((named, path), 0.0)
    found_items = {key: found for key, _ in strength.items()
                   if not (named and key[0] != named)
                   and (found := _items(corpus, *key)) is not None}
    meaning = _meaning(question, list(found_items), corpus)
    out = []
    for (doc_id, path), (items, labels, chunks) in found_items.items():
        retrieved = strength[(doc_id, path)]
        lead_in = _lead_in(corpus, doc_id, path, items, labels)
        heading = weighted_overlap(question, f"{' '.join(path)} {lead_in}", corpus.idf)
        listed = max((weighted_overlap(question, i.text, corpus.idf) for i in items),
                     default=0.0)
        close = meaning.get((doc_id, path), 0.0)
        if max(heading, listed) < MIN_MATCH and close < MIN_MEANING:
            continue  # neither the heading nor any item is about what the question asks
        score = (heading + 0.5 * retrieved + 0.5 * listed + (0.3 if named else 0.0)
                 + max(0.0, close - MIN_MEANING))  # a nudge: shared words weigh more
        title = heading_piece(corpus.section(doc_id, path), path)
        out.append(Container(doc_id, path, items, labels, title, chunks, score, heading))
    return out


def _lead_in(corpus: Corpus, doc_id: str, path: tuple[str, ...], items: Sequence[Piece],
             labels: Sequence[Piece | None]) -> str:
    """The section's paragraph just before the list's first item ('There are a number of
    issues to consider when ...'): it says what the list is, as a heading would. A document's
    top has no heading of its own but may have this."""
    if not items:
        return ""
    first = labels[0] or items[0]  # labels run beside items, one each
    before = [(c, p) for c in corpus.section(doc_id, path) if c.heading_path == path
              for p in c.parts if p.kind == "paragraph" and p.end <= first.start]
    if not before:
        return ""
    chunk, part = max(before, key=lambda cp: cp[1].end)
    return chunk.span_text(part.start, part.end)[:LEAD_IN_CHARS]


def _meaning(question: str, sections: Sequence[tuple[str, tuple[str, ...]]], corpus: Corpus
             ) -> dict[tuple[str, tuple[str, ...]], float]:
    """Each section's own heading's (a document's top: its title's) cosine to the question
    (empty without an embedder)."""
    if corpus.embed is None or not sections:
        return {}
    named = {key: key[1][-1] if key[1] else corpus.title(key[0]) for key in sections}
    headings = list(dict.fromkeys(named.values()))
    vectors = corpus.embed([question, *headings])
    close = {h: cosine(vectors[0], v) for h, v in zip(headings, vectors[1:], strict=True)}
    return {key: close[heading] for key, heading in named.items()}


def _items(corpus: Corpus, doc_id: str, path: tuple[str, ...]
           ) -> tuple[tuple[Piece, ...], tuple[Piece | None, ...], tuple[Chunk, ...]] | None:
    section = corpus.section(doc_id, path)
    children = _child_items(section, path)
    if len(children[0]) >= MIN_ITEMS:
        return children
    own = [c for c in section if c.heading_path == path]
    for found in (_list_items(own), _labelled(own)):
        if len(found[0]) >= MIN_ITEMS:
            return found
    return None


def _child_items(section: Sequence[Chunk], path: tuple[str, ...]
                ) -> tuple[tuple[Piece, ...], tuple[Piece | None, ...], tuple[Chunk, ...]]:
    """One item per sub-section: its heading as the label, its first statement. Sub-sections
    are items when numbered ('1. Scope'), or when there are MIN_CHILDREN or more and every
    heading is a name (NAME_WORDS words or fewer: '`SSL_CERT_FILE`', 'Precision')."""
    heads = {c.heading_path[-1] for c in section if len(c.heading_path) == len(path) + 1}
    names_only = len(heads) >= MIN_CHILDREN and all(len(h.split()) <= NAME_WORDS for h in heads)
    items: list[Piece] = []
    labels: list[Piece | None] = []
    chunks: list[Chunk] = []
    done: set[tuple[str, ...]] = set()
    for chunk in section:
        child = chunk.heading_path
        if len(child) != len(path) + 1 or child in done or not (
                _NUMBERED.match(child[-1]) or names_only):
            continue
        done.add(child)
        heading = next(((chunk, p) for chunk, p in parts_of([chunk], "heading")
                        if chunk.span_text(p.start, p.end).strip().endswith(child[-1])), None)
        statement = next((s for c, p in parts_of([c for c in section if c.heading_path == child],
                                                   "paragraph") if (s := first_sentence(c, p))),
                         None)
        label = piece(heading[0], heading[1].start, heading[1].end) if heading else None
        item = statement or label
        if item is None:
            continue
        items.append(item)
        labels.append(label if statement else None)
        chunks.append(chunk)
    return tuple(items[:MAX_ITEMS]), tuple(labels[:MAX_ITEMS]), tuple(chunks)


def _list_items(chunks: Sequence[Chunk]
                ) -> tuple[tuple[Piece, ...], tuple[Piece | None, ...], tuple[Chunk, ...]]:
    """The section's list items; a short one (a name) gets the paragraph after it."""
    items: list[Piece] = []
    labels: list[Piece | None] = []
    used: list[Chunk] = []
    ordered = [(c, p) for c, p in parts_of(chunks, "item")] + parts_of(chunks, "paragraph")
    ordered.sort(key=lambda cp: cp[1].start)
    for k, (chunk, part) in enumerate(ordered):
        if part.kind != "item":
            continue
        name = piece(chunk, part.start, part.end)
        if name is None:
            continue
        nxt = ordered[k + 1] if k + 1 < len(ordered) else None
        described = (first_sentence(*nxt) if nxt and nxt[1].kind == "paragraph"
                     and len(name.text) <= SHORT_ITEM else None)
        items.append(described or name)
        labels.append(name if described else None)
        if chunk not in used:
            used.append(chunk)
    return tuple(items[:MAX_ITEMS]), tuple(labels[:MAX_ITEMS]), tuple(used)


def _labelled(chunks: Sequence[Chunk]
              ) -> tuple[tuple[Piece, ...], tuple[Piece | None, ...], tuple[Chunk, ...]]:
    """'Name: description' paragraphs, one item each."""
    found = [(c, p) for c, p in parts_of(chunks, "paragraph")
             if LABELLED.match(c.span_text(p.start, p.end))]
    items = [x for c, p in found if (x := piece(c, p.start, p.end))]
    used = tuple(dict.fromkeys(c for c, _ in found))
    return tuple(items[:MAX_ITEMS]), tuple(None for _ in items[:MAX_ITEMS]), used
