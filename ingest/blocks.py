"""Text to blocks: headings, paragraphs, list items and tables, with exact offsets.

Each line is classified once (``_Lines``): a Markdown or setext heading, a fenced code block,
a table row, a bullet, a line that ends its sentence; ``parse_blocks`` walks the lines and
groups them into blocks. ``ingest.chunk`` groups the blocks into sections and chunks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import accumulate

from ingest.structure import SEPARATOR, Block, find_label_items, find_line_tables

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+\S")
# A setext heading: one line of text underlined with '=' (level 1) or '-' (level 2), as
# reStructuredText-minded Markdown writes 'Environment Variables' over '====='.
_SETEXT_LINE = re.compile(r"^ {0,3}(={3,}|-{3,})[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_BULLET = re.compile(r"^\s*(?:[-*+•–]|\d{1,3}[.)])\s+\S")
_CELL_BULLET = re.compile(r"^\s*[-*•–]\s+")
_CLOSES = ".!?:;|"  # a line ending in one of these ends its sentence (or its table row)
# Longest line that can be a table row, longest run of '- ' lines that can go on with a cell:
# beyond them it is no table a reader could use, and keeping the "row" whole makes a huge chunk.
_MAX_ROW, _MAX_CELL_LINES = 2000, 20


def parse_blocks(text: str) -> list[Block]:
    """Parse text into headings, paragraphs, list items and tables with exact offsets.

    Markdown ``#`` headings are used when the text has any; else a heading is a short line
    starting with a capital or number, without closing punctuation (may end in '?', or ':' if
    very short), followed by more text and not inside a wrapped paragraph (see ``is_heading``).
    A table is a run of '|' rows whose cells may go on over '- ' lines.

    Args:
        text: The document text.

    Returns:
        Blocks in order; together they hold every non-whitespace character of ``text``.
    """
    lines = _Lines(text)
    blocks: list[Block] = []
    i = 0
    while i < len(lines.rows):
        heading = _MD_HEADING.match(lines.rows[i]) if lines.markdown else None
        heading = heading if len(lines.rows[i]) <= 200 else None  # a '#' line that long is prose
        table_end = lines.table_end(i)
        if not lines.rows[i].strip():
            j = i + 1
        elif i in lines.fences:  # a code block is one block: a '# comment' in it is no heading
            j = lines.fences[i]
            blocks.append(Block("paragraph", *lines.span(i, j)))
        elif lines.setext[i]:  # the heading is its text; the underline is no block of its own
            j = i + 2
            level = 1 if lines.rows[i + 1].strip().startswith("=") else 2
            blocks.append(Block("heading", *lines.span(i, i + 1), level))
        elif table_end is not None:
            j = table_end
            rows = tuple(lines.span(a, b) for a, b in lines.row_groups(i, j))
            blocks.append(Block("table", rows[0][0], rows[-1][1], rows=rows))
        elif heading or (not lines.markdown and lines.is_heading(i)):
            j = i + 1
            blocks.append(Block("heading", *lines.span(i, j), len(heading[1]) if heading else 0))
        else:
            item = bool(_BULLET.match(lines.rows[i]))
            j = lines.item_end(i) if item else lines.paragraph_end(i)
            blocks.append(Block("item" if item else "paragraph", *lines.span(i, j)))
        i = j
    blocks = find_label_items(text, blocks)
    return blocks if lines.markdown else find_line_tables(text, blocks)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    core = piece.lstrip()
    return (start + len(piece) - len(core), start + len(piece.rstrip())) if core else (end, end)


def _is_row(line: str) -> bool:
    # 'a | b' (HTML export), 'a | b |', '---|---' (Markdown) and 'text |', the last line of a
    # multi-line cell; a '|' inside a word ('a|b') is not taken for a table.
    core = line.strip()
    if "|" not in core or len(core) > _MAX_ROW:
        return False
    return (core.count("|") >= 2 or " | " in core or core.endswith(" |") or core.startswith("| ")
            or bool(SEPARATOR.match(core)))


def _ends_sentence(line: str) -> bool:
    k = len(line)
    while k and not line[k - 1].isalnum() and line[k - 1] not in _CLOSES:
        k -= 1  # trailing spaces, emoji or quotes do not hide the punctuation
    return k > 0 and line[k - 1] in _CLOSES


class _Lines:
    """The lines of a text with their offsets and what each line looks like."""

    def __init__(self, text: str) -> None:
        self.text, self.rows = text, text.split("\n")
        self.starts = [0, *accumulate(len(r) + 1 for r in self.rows)]
        self.fences = _fences(self.rows)
        inside = {k for first, end in self.fences.items() for k in range(first, end)}
        self.setext = [k not in inside and self._setext(k) for k in range(len(self.rows))]
        self.markdown = any(self.setext) or any(
            _MD_HEADING.match(r) for k, r in enumerate(self.rows) if k not in inside)
        self.row = [_is_row(r) for r in self.rows]
        self.cell = [bool(_CELL_BULLET.match(r)) for r in self.rows]
        # run[i]: first line at or after i that is not a '|'-less bullet line (one pass, so
        # looking for tables stays linear on long lists).
        self.run = list(range(len(self.rows) + 1))
        for i in range(len(self.rows) - 1, -1, -1):
            if self.cell[i] and not self.row[i]:
                self.run[i] = self.run[i + 1]

    def _setext(self, i: int) -> bool:
        """Whether line ``i`` is a setext heading: a short line of its own (a blank line or
        nothing before it) that is no list item or table row, underlined on the next."""
        rows = self.rows
        line = rows[i].strip()
        return (i + 1 < len(rows) and bool(line) and len(line) <= 200
                and bool(_SETEXT_LINE.match(rows[i + 1])) and (i == 0 or not rows[i - 1].strip())
                and not _BULLET.match(rows[i]) and not _is_row(rows[i]))

    def span(self, first: int, end: int) -> tuple[int, int]:
        return trim(self.text, self.starts[first], self.starts[end - 1] + len(self.rows[end - 1]))

    def table_end(self, i: int) -> int | None:
        """End of a table starting at line ``i``, or None. A run of bullet lines without '|'
        continues a cell (a cell holding a list, its items on lines of their own) when a '|'
        line follows it."""
        k = self.run[i]
        if k >= len(self.rows) or not self.row[k] or (k > i and not self.cell[k]) or (
                k - i > _MAX_CELL_LINES):
            return None
        j = k + 1
        while (j < len(self.rows) and self.run[j] < len(self.rows) and self.row[self.run[j]]
               and self.run[j] - j <= _MAX_CELL_LINES):
            j = self.run[j] + 1
        return j

    def row_groups(self, start: int, end: int) -> list[tuple[int, int]]:
        """Line ranges of logical rows: a bullet line continues the row above it unless that
        row was closed by a trailing '|'."""
        groups, first = [], start
        for m in range(start + 1, end):
            if not self.cell[m] or self.rows[m - 1].rstrip().endswith("|"):
                groups.append((first, m))
                first = m
        return [*groups, (first, end)]

    def is_heading(self, i: int) -> bool:
        line, rows = self.rows[i].strip(), self.rows
        words = len(line.split())
        if len(line) > 120 or words > 16 or self.row[i] or line[-1] in ".!,;|" or (
                line[-1] == ":" and words > 5) or not (line[0].isupper() or line[0].isdigit()):
            return False
        if _BULLET.match(line) and not line[0].isdigit():
            return False  # a bullet item; a numbered line may be a heading ('1. Scope')
        nxt = next((k for k in range(i + 1, len(rows)) if rows[k].strip()), None)
        if nxt is None or (nxt == i + 1 and rows[nxt].lstrip()[:1].islower()):
            return False  # nothing to introduce, or the next line goes on with the sentence
        prev = rows[i - 1].strip() if i else ""
        return len(prev) < 60 or _ends_sentence(prev)  # else: inside a wrapped paragraph

    def item_end(self, i: int) -> int:
        """An item goes on over the indented lines after it (Markdown continuation)."""
        j = i + 1
        while (j < len(self.rows) and self.rows[j][:1] in (" ", "\t") and self.rows[j].strip()
               and not _BULLET.match(self.rows[j]) and self.table_end(j) is None):
            j += 1
        return j

    def paragraph_end(self, i: int) -> int:
        """A paragraph goes on over the following lines until a line ends its sentence."""
        j = i + 1
        while j < len(self.rows) and self.rows[j].strip() and not _ends_sentence(self.rows[j - 1]):
            md = self.markdown and (_MD_HEADING.match(self.rows[j]) or self.setext[j]
                                    or j in self.fences)
            if md or _BULLET.match(self.rows[j]) or self.table_end(j) is not None or (
                    not self.markdown and self.is_heading(j)):
                break
            j += 1
        return j


def _fences(rows: Sequence[str]) -> dict[int, int]:
    """Each fenced code block's first line -> the line after its closing fence (or the end:
    an unclosed fence runs to the end, as CommonMark reads it)."""
    found, k = {}, 0
    while k < len(rows):
        opening = _FENCE.match(rows[k])
        if not opening:
            k += 1
            continue
        close = next((m for m in range(k + 1, len(rows))
                      if rows[m].strip().startswith(opening.group(1))), len(rows) - 1)
        found[k] = close + 1
        k = close + 1
    return found
