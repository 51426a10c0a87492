"""The comparison plan: two things side by side, aspect by aspect, each cell a cited span.

Aspects come from the sources' comparison tables (whose header names the things compared),
best-matching table first, then the rows other sources' tables add; a question naming an
aspect ('how does fine-tuning differ') gets just the rows about it, from every table. Without
a table, sections whose sub-sections each hold one 'Thing: ...' paragraph per thing compared
('1. Scope' / 'Generative AI: ...' / 'LLMs: ...') are read as one; failing that, the best
sentence about each thing, per thing.

The top layer of ``bot.plans``: besides tables it adds the list plan's lists about each thing
(``listing``) and what the sources say of each on the aspects asked (``aspects``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.plans.aspects import extended, with_aspects
from bot.plans.corpus import Corpus, named_document, source_line
from bot.plans.draft import Draft, DraftBlock, Piece, leads, with_retrieved
from bot.plans.listing import best_lists, list_block
from bot.plans.matching import (
    MIN_NAMING_SHARE,
    names_thing,
    naming_share,
    terms,
    weighted_overlap,
)
from bot.plans.rows import RowMatch, matching_rows
from bot.plans.spans import LABELLED, first_sentence, parts_of, piece, statements
from bot.plans.tables import Table, block_from_rows
from bot.schema import Chunk, Part, Passage

MAX_ROWS = 10
ASPECT_MATCH = 0.4
ASPECT_STATEMENTS = 3
MAX_ASPECT_SECTIONS = 3
_GENERIC = ("difference differences differ compare comparison contrast main key major core "
            "aspect aspects similarity similarities between versus table")


def plan_comparison(question: str, entities: Sequence[str], passages: Sequence[Passage],
                    corpus: Corpus) -> Draft | None:
    """A table of the aspects on which the sources compare the two things, or None."""
    named = named_document(question, corpus)
    # Every table is a candidate (a corpus has few): the columns must name both things, and
    # retrieval only decides which one leads. A named document's own tables, or none.
    tables = [t for t in corpus.tables() if not named or t.doc_id == named]
    if len(entities) < 2:
        entities = _entities_from_tables(tables, passages, named)
    if len(entities) < 2:
        return None
    ignore = f"{' '.join(_thing(e) for e in entities)} {_GENERIC}"
    asked = [m for m, _ in matching_rows(question, passages, corpus, named, ignore=ignore,
                                         everywhere=True)]
    ranked = sorted(((_fit(t, entities, passages, named), t) for t in tables),
                    key=lambda st: -st[0])
    fitting = [(score, t) for score, t in ranked if score >= MIN_NAMING_SHARE]
    draft = (_table_draft(entities, fitting, asked, passages, corpus) if fitting
             else _labelled_sections(entities, passages, corpus, named))
    draft = _with_entity_lists(draft, question, entities, passages, corpus)
    draft = _with_aspect_sections(draft, question, ignore, passages, corpus, entities)
    return with_aspects(draft, question, [_thing(e) for e in entities], ignore, passages,
                        corpus, corpus.embed)


_ASPECT_OF = re.compile(r"^.*\b(of|behind|for)\s+(?=\S)", re.I)


def _thing(entity: str) -> str:
    """The thing an entity phrase names, without the aspect it may carry ('strengths and
    weaknesses of LLMs' -> 'LLMs'): the aspect is what to find, not a word to ignore."""
    return _ASPECT_OF.sub("", entity) or entity


def _with_aspect_sections(draft: Draft | None, question: str, ignore: str,
                          passages: Sequence[Passage], corpus: Corpus,
                          entities: Sequence[str]) -> Draft | None:
    """For a question about particular aspects ('how do fine-tuning and evaluation differ'),
    the retrieved sections whose heading names one ('Customizability & Fine-Tuning'): their
    first statements, which is where articles compare in prose."""
    blocks, chunks = [], []
    seen = set()
    for p in passages:
        key = (p.doc_id, p.chunk.heading_path)
        if not p.chunk.heading_path or key in seen:
            continue
        seen.add(key)
        if weighted_overlap(p.chunk.heading_path[-1], question, corpus.idf,
                            ignore=ignore) < ASPECT_MATCH:
            continue
        section = [c for c in corpus.section(*key) if c.heading_path == key[1]]
        found = [x for c, part in parts_of(section, "paragraph") for x in statements(c, part)]
        title = next((piece(c, h.start, h.end, strip_bullet=False)
                      for c, h in parts_of(section, "heading")), None)
        if found:
            blocks.append(DraftBlock("bullets", tuple(found[:ASPECT_STATEMENTS]), title=title))
            chunks += section
        if len(blocks) == MAX_ASPECT_SECTIONS:
            break
    if not blocks:
        return draft
    return extended(draft, blocks, chunks, passages, entities)


def _with_entity_lists(draft: Draft | None, question: str, entities: Sequence[str],
                       passages: Sequence[Passage], corpus: Corpus) -> Draft | None:
    """The comparison's blocks, then for each thing compared the list the sources give about
    it for this question ('When to Use LLMs', 'When to Use Generative AI')."""
    lists = []
    for entity in entities[:2]:
        others = " ".join(e for e in entities if e != entity)
        found = best_lists(f"{question} {entity}", passages, corpus, must_name=entity)
        if found and not names_thing(others, " ".join(found[0].path)):
            lists.append((entity, found[0]))
    if len(lists) < 2:
        return draft
    blocks = [list_block(c, caption=entity) for entity, c in lists]
    return extended(draft, blocks, [ch for _, c in lists for ch in c.chunks], passages, entities)


def _fit(table: Table, entities: Sequence[str], passages: Sequence[Passage],
         named: str | None) -> float:
    """How well the table's columns name the two things, plus how well it was retrieved."""
    order = column_order(table, entities)
    if order is None:
        return 0.0
    retrieved = {p.chunk.chunk_id: p.score for p in passages}
    top = max(retrieved.values(), default=1.0) or 1.0
    strength = max((retrieved.get(c.chunk_id, 0.0) for c, _ in table.rows), default=0.0) / top
    return 1.0 + 0.5 * strength + (0.5 if named == table.doc_id else 0.0)


def column_order(table: Table, entities: Sequence[str]) -> list[int] | None:
    """[label column, column of entity 1, column of entity 2], or None when the header does
    not name both things."""
    columns = table.columns()
    picked = []
    for entity in entities[:2]:
        scores = [(naming_share(entity, col), i) for i, col in enumerate(columns) if i > 0]
        best = max(scores, default=(0.0, -1))
        if best[0] < MIN_NAMING_SHARE or best[1] in picked:
            return None
        picked.append(best[1])
    return [0, *picked]


def _table_draft(entities: Sequence[str], fitting: Sequence[tuple[float, Table]],
                 asked: Sequence[RowMatch], passages: Sequence[Passage],
                 corpus: Corpus) -> Draft:
    main = fitting[0][1]
    order = column_order(main, entities) or [0, 1, 2]
    asked_rows = {(m.table.doc_id, m.row[1].start) for m in asked}
    rows: list[tuple[Table, tuple[Chunk, Part]]] = []
    for _, table in fitting:
        for row in table.rows:
            if asked_rows and (table.doc_id, row[1].start) not in asked_rows:
                continue
            if asked_rows or table is main or not _has_aspect(rows, table.label(row)):
                rows.append((table, row))
    blocks, chunks = [], []
    for table in dict.fromkeys(t for t, _ in rows):
        block, used = block_from_rows(table, [r for t, r in rows if t is table],
                                      column_order(table, entities) or order)
        blocks.append(block)
        chunks += used
    merged = _merge(blocks, main, order)
    doc_id = main.doc_id
    return Draft("comparison", (merged,), with_retrieved(passages, chunks),
                 intro=source_line(corpus, doc_id) if len(blocks) == 1 else
                 f"How the sources compare {entities[0]} and {entities[1]}:",
                 lead_passages=leads(passages))


def _has_aspect(rows: Sequence[tuple[Table, tuple[Chunk, Part]]], label: str) -> bool:
    return any(terms(label) & terms(t.label(r)) for t, r in rows)


def _merge(blocks: Sequence[DraftBlock], main: Table, order: Sequence[int]) -> DraftBlock:
    """One table: the main table's header, every block's rows (each cell keeps its source)."""
    header = tuple(main.columns()[i] for i in order)
    rows = tuple(row for block in blocks for row in block.rows)[:MAX_ROWS]
    return DraftBlock("table", header=header, rows=rows)


def _entities_from_tables(tables: Sequence[Table], passages: Sequence[Passage],
                          named: str | None) -> tuple[str, ...]:
    """The two things the best-retrieved table (of the named document, if one is named)
    compares: its second and third columns."""
    retrieved = {p.chunk.chunk_id: p.score for p in passages}
    best = max(tables, key=lambda t: (t.doc_id == named, max(
        retrieved.get(c.chunk_id, 0.0) for c, _ in t.rows)), default=None)
    columns = best.columns() if best else []
    return tuple(columns[1:3]) if len(columns) >= 3 else ()


def _labelled_sections(entities: Sequence[str], passages: Sequence[Passage],
                       corpus: Corpus, named: str | None) -> Draft | None:
    """Sub-sections each holding a 'Thing: ...' paragraph per thing, read as table rows;
    sections of the retrieved passages first, then (when one is named) the document's."""
    chunks = [p.chunk for p in passages] + (corpus.doc_chunks(named) if named else [])
    parents = dict.fromkeys((c.doc_id, c.heading_path[:-1]) for c in chunks
                            if len(c.heading_path) > 1 and (not named or c.doc_id == named))
    for doc_id, parent in parents:
        section = corpus.section(doc_id, parent)
        rows = _labelled_rows(section, parent, entities)
        if len(rows) >= 2:
            block = DraftBlock("table", header=("Aspect", *entities[:2]), rows=tuple(rows))
            return Draft("comparison", (block,), with_retrieved(passages, section),
                         intro=source_line(corpus, doc_id), lead_passages=leads(passages))
    return None


def _labelled_rows(section: Sequence[Chunk], parent: tuple[str, ...], entities: Sequence[str]
                   ) -> list[tuple[Piece | None, ...]]:
    rows = []
    for child in dict.fromkeys(c.heading_path for c in section
                               if len(c.heading_path) == len(parent) + 1):
        chunks = [c for c in section if c.heading_path == child]
        heading = next((piece(c, h.start, h.end) for c, h in parts_of(chunks, "heading")), None)
        cells: list[Piece | None] = [heading]
        for entity in entities[:2]:
            cells.append(next((first_sentence(c, p, min_words=3) for c, p in
                               parts_of(chunks, "paragraph") if _labelled_for(c, p, entity)),
                              None))
        if heading and all(cells[1:]):
            rows.append(tuple(cells))
    return rows


def _labelled_for(chunk: Chunk, part: Part, entity: str) -> bool:
    match = LABELLED.match(chunk.span_text(part.start, part.end))
    return match is not None and names_thing(entity, match.group("label"))
