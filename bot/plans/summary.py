"""The summary plan: one document's outline from its headings, with each section's key statement.

The document is the one the question names (title, publisher, author); failing that, the one
most of the retrieved passages come from, when they clearly agree. Each top-level section
gives one bullet: its heading as the label, and its first statement (or, for a section that
is a list or a table, what it lists).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from bot.plans.corpus import Corpus, named_document, source_line
from bot.plans.draft import Draft, DraftBlock, Piece, leads, with_retrieved
from bot.plans.spans import heading_piece, parts_of, piece, statements
from bot.plans.tables import block_from_rows, tables_in
from bot.schema import Chunk, Passage

MAX_STATEMENTS = 18
MAX_TABLES = 2
MAX_ROWS = 12
MAX_NAMES = 10
MIN_NAMES = 3
MAX_NAME = 60
MAJORITY = 0.6
_TELLING = re.compile(r"\d|\b(is|are) (a|an|the)\b|\brefers? to\b|\bmeans\b|\bdefined as\b|"
                      r"\bknown as\b|\bsuch as\b|\binclud(e|es|ing)\b", re.I)
"""A statement an outline wants besides a section's first: a figure, a definition, examples."""
TELLING_PER_SECTION = 2
_NAME_END = re.compile(r"\s+[–—-]\s+|:\s|\.\s|\.$")


def plan_summary(question: str, passages: Sequence[Passage], corpus: Corpus) -> Draft | None:
    """Bullets of the document's sections and their key statements (and, for a section that
    is a list, a short list of its item names), or None when no one document is meant."""
    doc_id = named_document(question, corpus) or _majority(passages)
    if doc_id is None:
        return None
    items: list[Piece] = []
    labels: list[Piece | None] = []
    lists: list[DraftBlock] = []
    for path, section in _outline(corpus.doc_chunks(doc_id)):
        label = heading_piece(section, path)
        statements = _key_statements(section)
        for k, statement in enumerate(statements):
            items.append(statement)
            labels.append(label if k == 0 else None)
        names = _item_names(section)
        if len(names) >= MIN_NAMES:
            lists.append(DraftBlock("bullets", tuple(names), title=label))
    if len(items) < 2:
        return None
    block = DraftBlock("bullets", tuple(items[:MAX_STATEMENTS]),
                       labels=tuple(labels[:MAX_STATEMENTS]))
    tables = _tables(corpus, doc_id)
    used = ([i.chunk for i in items] + [n.chunk for b in lists for n in b.items]
            + [c for _, chunks in tables for c in chunks])
    return Draft("summary", (block, *lists, *(t for t, _ in tables)),
                 with_retrieved(passages, used),
                 intro=source_line(corpus, doc_id).replace("From", "Outline of", 1),
                 lead_passages=leads([Passage(i.chunk, 0.0) for i in items]))


def _tables(corpus: Corpus, doc_id: str) -> list[tuple[DraftBlock, list[Chunk]]]:
    """The document's tables, whole (MAX_TABLES of them, MAX_ROWS rows each): an article's
    comparison table is its summary in rows, and the outline gives only its first. They
    come from the corpus's tables, read once for every question."""
    out = []
    for table in [t for t in corpus.tables() if t.doc_id == doc_id][:MAX_TABLES]:
        block, used = block_from_rows(table, table.rows[:MAX_ROWS],
                                      range(len(table.header.cells)))
        if block.rows:  # headed by its section's name, as the outline names it
            heading = table.header_chunk.heading_path[-1:]
            caption = heading[0] if heading else ""
            if len(table.rows) > MAX_ROWS:  # a cut table says how much of it is shown
                caption = f"{caption} ({len(block.rows)} of {len(table.rows)} rows)".strip()
            out.append((replace(block, caption=caption), used))
    return out


def _majority(passages: Sequence[Passage]) -> str | None:
    counts = Counter(p.doc_id for p in passages[:5])
    if not counts:
        return None
    doc_id, n = counts.most_common(1)[0]
    return doc_id if n / sum(counts.values()) >= MAJORITY else None


def _outline(chunks: Sequence[Chunk]) -> list[tuple[tuple[str, ...], list[Chunk]]]:
    """Top-level sections in document order: runs of chunks under one first heading (an
    untitled run, like the opening, has the empty path)."""
    runs: list[tuple[tuple[str, ...], list[Chunk]]] = []
    for chunk in chunks:
        top = chunk.heading_path[:1]
        if runs and runs[-1][0] == top:
            runs[-1][1].append(chunk)
        else:
            runs.append((top, [chunk]))
    return runs


def _key_statements(section: Sequence[Chunk]) -> list[Piece]:
    """The section's first statement and, if it has one, the statement after it that carries
    a figure or a definition ('is a subset of', '80% of ...'): what a reader of an outline
    wants first. A section of only list items or table rows gives its first one."""
    found = [s for c, p in parts_of(section, "paragraph") for s in statements(c, p)]
    if found:
        telling = [s for s in found[1:] if _TELLING.search(s.text)]
        return [found[0], *telling[:TELLING_PER_SECTION]]
    for chunk, part in parts_of(section, "item"):
        first = piece(chunk, part.start, part.end)
        if first:
            return [first]
    for table in tables_in(section):
        chunk, row = table.rows[0]
        first = piece(chunk, row.start, row.end)
        return [first] if first else []
    return []


def _item_names(section: Sequence[Chunk]) -> list[Piece]:
    """The names of a list's items: an item's words up to its dash, colon or full stop."""
    names = []
    for chunk, part in parts_of(section, "item"):
        whole = piece(chunk, part.start, part.end, limit=10_000)
        if whole is None:
            continue
        cut = _NAME_END.search(whole.text)
        end = cut.start() if cut else len(whole.text)
        if 0 < end <= MAX_NAME:
            names.append(Piece(whole.text[:end], chunk, whole.start, whole.start + end))
    return names[:MAX_NAMES]
