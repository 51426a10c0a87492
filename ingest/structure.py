"""What ingestion records of a document's structure, for answers built from it.

``parse_blocks`` (in ``ingest.chunk``) finds headings, paragraphs, list items and tables; this
module adds tables laid out one cell per line (a header of N short lines, then rows of N short
lines, the first naming the row) and turns a chunk's share of the blocks into ``Part``s with
document offsets: list items, table rows with their cells, and a split table's header.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.schema import Part

MAX_CELL_CHARS = 160
"""A line longer than this is prose, not a table cell."""
MAX_LABEL_CHARS = 60
MIN_ROWS = 3
SEPARATOR = re.compile(r"^[\s|:-]*-{3,}[\s|:-]*$")
"""A Markdown table's separator row ('---|---', '|:--|--:|')."""
_BOLD_LABEL = re.compile(r"^(?:\*\*|__)[^*_\n]{1,60}(?::(?:\*\*|__)|(?:\*\*|__)\s*:)\s*\S")
_DEFINITION = re.compile(r"^[^\n:]{1,80}\n[ \t]{0,3}:[ \t]+\S")
_HEADING_MARKS = "#*_= \t"


@dataclass(frozen=True)
class Block:
    """``text[start:end]`` (trimmed), a ``heading``, ``paragraph``, ``item`` or ``table``;
    ``level`` is the Markdown heading level (0: plain text); ``rows`` are a table's row spans;
    ``layout`` is how a table's cells are laid out: ``pipe`` (``a | b``) or ``lines`` (one
    cell per line)."""

    kind: str
    start: int
    end: int
    level: int = 0
    rows: tuple[tuple[int, int], ...] = ()
    layout: str = "pipe"


def find_line_tables(text: str, blocks: Sequence[Block]) -> list[Block]:
    """``blocks`` with each one-cell-per-line table merged into one ``table`` block.

    Such a table parses as headings and one-line paragraphs: N heading lines (the column
    names), then rows of a heading line (the row's name) and N - 1 short one-line paragraphs.
    It takes at least MIN_ROWS such rows; where several widths fit, the one that reads the most
    lines as cells wins (the wider on a tie), so 'Trait / Cats / Dogs' is not read as two
    columns with rows shifted by one."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        table = _line_table_at(text, blocks, i)
        if table is None:
            out.append(blocks[i])
            i += 1
        else:
            block, used = table
            out.append(block)
            i += used
    return out


def find_label_items(text: str, blocks: Sequence[Block]) -> list[Block]:
    """``blocks`` with list items that parse as paragraphs made ``item`` s: a Markdown
    definition ('Term' then ': definition' on the next line), and bold-label paragraphs
    ('**Token limits:** ...') when two or more follow each other (one is a lead-in)."""
    label = [b.kind == "paragraph" and bool(_BOLD_LABEL.match(text[b.start:b.end]))
             for b in blocks]
    out = []
    for k, block in enumerate(blocks):
        run = label[k] and ((k > 0 and label[k - 1]) or (k + 1 < len(blocks) and label[k + 1]))
        term = block.kind == "paragraph" and bool(_DEFINITION.match(text[block.start:block.end]))
        out.append(Block("item", block.start, block.end) if run or term else block)
    return out


def heading_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The words of a heading at ``text[start:end]``, without its marks ('## ', '**...**',
    a closing '##'): what an answer shows as a heading is the heading, never its syntax."""
    piece = text[start:end]
    core = piece.strip(_HEADING_MARKS)
    if not core:
        return start, end
    lead = piece.index(core)
    return start + lead, start + lead + len(core)


def _line_table_at(text: str, blocks: Sequence[Block], i: int) -> tuple[Block, int] | None:
    """The line table whose header starts at block ``i``, if any: of the widths that fit, the
    one that reads the most lines as cells. A header follows a heading (the table's title):
    the first heading after prose names a section, not a column."""
    if i == 0 or blocks[i - 1].kind != "heading":
        return None
    best: tuple[Block, int] | None = None
    for width in range(2, 6):
        header = blocks[i:i + width]
        if len(header) < width or not all(_is_cell(text, b, heading=True) for b in header):
            continue
        rows = [(header[0].start, header[-1].end)]
        k = i + width
        while _row_at(text, blocks, k, width):
            rows.append((blocks[k].start, blocks[k + width - 1].end))
            k += width
        if len(rows) - 1 >= MIN_ROWS and (best is None or k - i >= best[1]):
            best = Block("table", rows[0][0], rows[-1][1], rows=tuple(rows), layout="lines"), k - i
    return best


def _row_at(text: str, blocks: Sequence[Block], k: int, width: int) -> bool:
    row = blocks[k:k + width]
    if len(row) < width or not _is_cell(text, row[0], heading=True):
        return False
    return all(_is_cell(text, b, heading=False) for b in row[1:])


def _is_cell(text: str, block: Block, *, heading: bool) -> bool:
    piece = text[block.start:block.end]
    limit = MAX_LABEL_CHARS if heading else MAX_CELL_CHARS
    kind_ok = block.kind == "heading" if heading else block.kind in ("paragraph", "heading")
    return kind_ok and block.level == 0 and "\n" not in piece and 0 < len(piece) <= limit


def row_cells(text: str, start: int, end: int, layout: str) -> tuple[tuple[int, int], ...]:
    """Document offsets of a table row's cells (trimmed; empty edge cells left out)."""
    piece = text[start:end]
    if layout == "lines":
        bounds, pos = [], 0
        for line in piece.split("\n"):
            bounds.append((pos, pos + len(line)))
            pos += len(line) + 1
    else:
        bounds = [(m.start(), m.end()) for m in re.finditer(r"[^|]+", piece)]
    cells = []
    for s, e in bounds:
        raw = piece[s:e]
        core = raw.strip()
        if core:
            lead = len(raw) - len(raw.lstrip())
            cells.append((start + s + lead, start + s + lead + len(core)))
    return tuple(cells)


def chunk_parts(text: str, blocks: Sequence[Block], start: int, end: int) -> tuple[Part, ...]:
    """The parts of the blocks that fall in ``text[start:end]`` (one chunk), in order; a table
    row split over two chunks is left out of both (rows are never cut, so this means a row
    longer than the chunk, which no answer can use whole anyway)."""
    parts: list[Part] = []
    for block in blocks:
        if block.end <= start or block.start >= end:
            continue
        if block.kind == "heading":
            parts.append(Part("heading", *heading_span(text, max(block.start, start),
                                                       min(block.end, end))))
        elif block.kind != "table":
            parts.append(Part(block.kind, max(block.start, start), min(block.end, end)))
        else:
            parts += _table_parts(text, block, start, end)
    return tuple(parts)


def _table_parts(text: str, block: Block, start: int, end: int) -> list[Part]:
    rows = [r for r in block.rows if not SEPARATOR.match(text[r[0]:r[1]])]
    if not rows:
        return []
    head, *body = rows
    parts = [Part("header", *head, cells=row_cells(text, *head, block.layout))]
    parts += [Part("row", s, e, cells=row_cells(text, s, e, block.layout))
              for s, e in body if start <= s and e <= end]
    if len(parts) == 1 and not start <= head[0] < end:
        return []  # none of this table's rows are in the chunk
    return parts
