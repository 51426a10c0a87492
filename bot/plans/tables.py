"""Tables as ingestion recorded them (a header and rows of cells, ``|`` or one cell per line),
and table blocks built from their rows. Below the corpus view, which reads every table of
the corpus once (``Corpus.tables``); which rows a question asks about is ``rows``' job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.plans.draft import DraftBlock, Piece
from bot.plans.spans import piece
from bot.schema import Chunk, Part

CELL_CHARS = 160


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
