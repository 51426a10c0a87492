"""The table rows, or whole tables, a question asks about: the tables of the corpus view
(``Corpus.tables``, or those of the retrieved sections) matched against the question's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.plans.corpus import Corpus
from bot.plans.draft import DraftBlock
from bot.plans.matching import weighted_overlap
from bot.plans.tables import Table, block_from_rows, tables_in
from bot.schema import Chunk, Part, Passage

ROW_MATCH = 0.6
"""A row is asked about when this share of its label's words (idf-weighted) is in the
question: 'audio generation' in 'Which examples are listed for audio generation?'."""


WHOLE_TABLE = 0.5
"""A table is asked for whole when the question holds this share of its column names' words."""


@dataclass(frozen=True)
class RowMatch:
    table: Table
    row: tuple[Chunk, Part]
    score: float


def candidate_tables(passages: Sequence[Passage], corpus: Corpus, named: str | None
                     ) -> list[Table]:
    """Tables of the retrieved passages' documents and sections (all of a table's chunks),
    or of the named document."""
    keys = {(p.doc_id, p.chunk.heading_path) for p in passages}
    chunks = [c for c in corpus.chunks if (c.doc_id, c.heading_path) in keys
              or c.doc_id == named]
    return tables_in(chunks)


def matching_rows(question: str, passages: Sequence[Passage], corpus: Corpus,
                  named: str | None, *, ignore: str = "", everywhere: bool = False
                  ) -> list[tuple[RowMatch, float]]:
    """Rows whose label the question names, best first. A row's score is that share, scaled
    down when the label is a small part of what the question asks ('Applications' for
    'healthcare uses ... applications by industry'). Words of ``ignore`` (the things
    compared) do not count as naming a row. The tables are those of the retrieved passages'
    sections, or with ``everywhere`` every table of the corpus."""
    idf = corpus.idf
    out = []
    tables = corpus.tables() if everywhere else candidate_tables(passages, corpus, named)
    for table in tables:
        if named and table.doc_id != named:
            continue
        for row in table.rows:
            label = table.label(row)
            share = weighted_overlap(label, question, idf, ignore=ignore)
            if share >= ROW_MATCH:
                covered = weighted_overlap(question, label, idf, ignore=ignore)
                score = share * (0.5 + 0.5 * covered)
                out.append((RowMatch(table, row, score), score))
    return sorted(out, key=lambda m: -m[1])


def whole_tables(question: str, passages: Sequence[Passage], corpus: Corpus,
                 named: str | None) -> list[tuple[Table, float]]:
    """Tables the question asks for whole: its words name most of the table's columns
    ('which categories, with example tools, does the table list' for 'Category | Examples |
    Use Cases'), best first."""
    out = []
    for table in candidate_tables(passages, corpus, named):
        if named and table.doc_id != named:
            continue
        share = weighted_overlap(" ".join(table.columns()), question, corpus.idf)
        if share >= WHOLE_TABLE:
            out.append((table, share))
    return sorted(out, key=lambda ts: -ts[1])


def table_block(matches: Sequence[tuple[RowMatch, float]]) -> tuple[DraftBlock, list[Chunk]]:
    """The rows of the best match's table that were matched, as a table block."""
    table = matches[0][0].table
    rows = [m.row for m, _ in matches if m.table == table]
    return block_from_rows(table, rows, list(range(len(table.header.cells))))
