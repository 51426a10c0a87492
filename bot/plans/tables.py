"""Tables as ingestion recorded them (a header and rows of cells, ``|`` or one cell per line),
and the rows a question asks about."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.plans import DraftBlock, Library, Piece, piece, weighted_overlap
from bot.schema import Chunk, Part, Passage

CELL_CHARS = 160
ROW_MATCH = 0.6
"""A row is asked about when this share of its label's words (idf-weighted) is in the
question: 'audio generation' in 'Which examples are listed for audio generation?'."""


WHOLE_TABLE = 0.5
"""A table is asked for whole when the question holds this share of its column names' words."""


@dataclass(frozen=True)
class Table:
    """One table of one document: its header and its rows, each row with the chunk holding it."""

    doc_id: str
    header: Part
    header_chunk: Chunk
    rows: tuple[tuple[Chunk, Part], ...]

    def columns(self) -> list[str]:
        return [self.header_chunk.span_text(s, e) for s, e in self.header.cells]

    def label(self, row: tuple[Chunk, Part]) -> str:
        chunk, part = row
        return chunk.span_text(*part.cells[0]) if part.cells else ""


@dataclass(frozen=True)
class RowMatch:
    table: Table
    row: tuple[Chunk, Part]
    score: float


def tables_in(chunks: Iterable[Chunk]) -> list[Table]:
    """The tables the chunks hold rows of, rows in document order, each row once."""
    found: dict[tuple[str, int], tuple[Part, Chunk, dict[int, tuple[Chunk, Part]]]] = {}
    for chunk in chunks:
        header = next((p for p in chunk.parts if p.kind == "header"), None)
        if header is None or len(header.cells) < 2:
            continue
        entry = found.setdefault((chunk.doc_id, header.start), (header, chunk, {}))
        for part in chunk.parts:
            if part.kind == "row" and len(part.cells) >= 2:
                entry[2].setdefault(part.start, (chunk, part))
    return [Table(doc, header, hchunk, tuple(rows[k] for k in sorted(rows)))
            for (doc, _), (header, hchunk, rows) in found.items() if rows]


def candidate_tables(passages: Sequence[Passage], library: Library, named: str | None
                     ) -> list[Table]:
    """Tables of the retrieved passages' documents and sections (all of a table's chunks),
    or of the named document."""
    keys = {(p.doc_id, p.chunk.heading_path) for p in passages}
    chunks = [c for c in library.chunks if (c.doc_id, c.heading_path) in keys
              or c.doc_id == named]
    return tables_in(chunks)


def matching_rows(question: str, passages: Sequence[Passage], library: Library,
                  named: str | None, *, ignore: str = "", everywhere: bool = False
                  ) -> list[tuple[RowMatch, float]]:
    """Rows whose label the question names, best first. A row's score is that share, scaled
    down when the label is a small part of what the question asks ('Applications' for
    'healthcare uses ... applications by industry'). Words of ``ignore`` (the things
    compared) do not count as naming a row. The tables are those of the retrieved passages'
    sections, or with ``everywhere`` every table of the library."""
    idf = library.idf
    out = []
    tables = library.tables() if everywhere else candidate_tables(passages, library, named)
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


def whole_tables(question: str, passages: Sequence[Passage], library: Library,
                 named: str | None) -> list[tuple[Table, float]]:
    """Tables the question asks for whole: its words name most of the table's columns
    ('which categories, with example tools, does the table list' for 'Category | Examples |
    Use Cases'), best first."""
    out = []
    for table in candidate_tables(passages, library, named):
        if named and table.doc_id != named:
            continue
        share = weighted_overlap(" ".join(table.columns()), question, library.idf)
        if share >= WHOLE_TABLE:
            out.append((table, share))
    return sorted(out, key=lambda ts: -ts[1])


def table_block(matches: Sequence[tuple[RowMatch, float]]) -> tuple[DraftBlock, list[Chunk]]:
    """The rows of the best match's table that were matched, as a table block."""
    table = matches[0][0].table
    rows = [m.row for m, _ in matches if m.table == table]
    return block_from_rows(table, rows, list(range(len(table.header.cells))))


def block_from_rows(table: Table, rows: Sequence[tuple[Chunk, Part]], order: Sequence[int]
                    ) -> tuple[DraftBlock, list[Chunk]]:
    """A table block of ``rows`` with the header's columns in ``order`` (0 is the label)."""
    columns = table.columns()
    header = tuple(columns[i] for i in order if i < len(columns))
    built = []
    chunks: list[Chunk] = []
    for chunk, part in rows:
        cells = tuple(_cell(chunk, part, i) for i in order)
        if cells and cells[0] is not None and any(c is not None for c in cells[1:]):
            built.append(cells)
            if chunk not in chunks:
                chunks.append(chunk)
    return DraftBlock("table", header=header, rows=tuple(built)), chunks


def _cell(chunk: Chunk, part: Part, i: int) -> Piece | None:
    if i >= len(part.cells):
        return None
    start, end = part.cells[i]
    return piece(chunk, start, end, limit=CELL_CHARS)
