"""Structure-aware chunking with exact character offsets into ``Document.text``.

text -> blocks (heading, paragraph, list item, table) -> sections (a heading run and the blocks
up to the next heading) -> atoms (whole blocks; sentences of a block over ``chunk_size``; rows
of a table over ``TABLE_SLACK * chunk_size``) -> chunks, packed greedily within a section.

A chunk exceeds ``chunk_size`` only for a whole table up to ``TABLE_SLACK * chunk_size``, for
one table row longer than ``chunk_size`` (rows are never cut), or for a section's headings glued
to a first sentence or table that nearly fills ``chunk_size`` (a heading ends a chunk only when
more headings follow than fit). Overlap is whole trailing sentences of the previous chunk of
the same section.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

from bot.errors import ConfigError
from bot.schema import Chunk, Document
from ingest.structure import Block, chunk_parts, find_label_items, find_line_tables

TABLE_SLACK = 1.25
"""A table up to this many times ``chunk_size`` stays whole: a table a little too large reads
better whole than cut in two, and 1,000 characters still fit a small embedder's window."""

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+\S")
# A setext heading: one line of text underlined with '=' (level 1) or '-' (level 2), as
# reStructuredText-minded Markdown writes 'Environment Variables' over '====='.
_SETEXT_LINE = re.compile(r"^ {0,3}(={3,}|-{3,})[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_BULLET = re.compile(r"^\s*(?:[-*+•–]|\d{1,3}[.)])\s+\S")
_CELL_BULLET = re.compile(r"^\s*[-*•–]\s+")
_SEPARATOR = re.compile(r"^[\s|:-]*-{3,}[\s|:-]*$")
# A sentence ends at . ! ? … (and closing quotes) before whitespace and a character that is
# not a lowercase ASCII letter, so 'e.g. books' is not a boundary.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(\s+)(?=[^\sa-z])")
_CLOSES = ".!?:;|"  # a line ending in one of these ends its sentence (or its table row)
# Longest line that can be a table row, longest run of '- ' lines that can go on with a cell:
# beyond them it is no table a reader could use, and keeping the "row" whole makes a huge chunk.
_MAX_ROW, _MAX_CELL_LINES = 2000, 20


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    kind: str  # heading | prose | row | table
    prefix: str = ""


def chunk_document(doc: Document, *, chunk_size: int = 800, chunk_overlap: int = 120
                   ) -> list[Chunk]:
    """Split a document into chunks that follow its headings, paragraphs and tables.

    Args:
        doc: The (cleaned) document; chunk offsets point into ``doc.text``.
        chunk_size: Maximum characters per chunk, prefix included, except in the three cases
            the module docstring lists.
        chunk_overlap: Maximum characters of whole trailing sentences repeated at the start
            of the next chunk of the same section.

    Returns:
        Chunks in document order, each with ``doc.text[c.start:c.end] == c.text``.

    Raises:
        ConfigError: If not ``0 <= chunk_overlap < chunk_size``.
    """
    if chunk_size < 1 or not 0 <= chunk_overlap < chunk_size:
        raise ConfigError(f"chunk_size={chunk_size} with chunk_overlap={chunk_overlap} cannot "
                          "be used; set chunk_size >= 1 and 0 <= chunk_overlap < chunk_size.")
    text = doc.text
    spans: list[tuple[int, int, str, tuple[str, ...], list[Block]]] = []
    for path, blocks in _sections(text, parse_blocks(text), doc.title):
        atoms = [a for b in blocks for a in _atoms(text, b, chunk_size)]
        spans += [(s, e, p, path, blocks)
                  for s, e, p in _pack(text, atoms, chunk_size, chunk_overlap)]
    seen: Counter[str] = Counter()
    chunks = []
    for index, (start, end, prefix, path, blocks) in enumerate(spans):
        # The id hashes content only, so an unchanged chunk keeps it when other parts of the
        # document change; a counter, from the second copy on, separates repeated texts.
        key = f"{doc.doc_id}\x1f{prefix}\x1f{text[start:end]}"
        seen[key] += 1
        key += f"\x1f{seen[key] - 1}" if seen[key] > 1 else ""
        chunks.append(Chunk(
            chunk_id=hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], doc_id=doc.doc_id,
            title=doc.title, text=text[start:end], start=start, end=end, heading_path=path,
            prefix=prefix, index=index, parts=chunk_parts(text, blocks, start, end)))
    return chunks


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


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
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
            or bool(_SEPARATOR.match(core)))


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
        return _trim(self.text, self.starts[first], self.starts[end - 1] + len(self.rows[end - 1]))

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


def _sections(text: str, blocks: list[Block], title: str = ""
              ) -> Iterator[tuple[tuple[str, ...], list[Block]]]:
    """Group blocks under heading runs. Markdown levels nest. A plain-text heading gives a
    one-level path, but a run of them with nothing between (a title and its subtitle, a part
    and its first item) gives two: the run's first heading and its last; a numbered plain
    heading ('2. Healthcare') is an item of the unnumbered heading above it ('Applications in
    Industries'), so its path keeps that parent. A first heading that repeats the document's
    title is left out of the path: the title is shown beside it anyway."""
    stack: list[tuple[int, str]] = []
    path: tuple[str, ...] = ()
    current: list[Block] = []
    for k, block in enumerate(blocks):
        if block.kind == "heading":
            name = text[block.start:block.end].lstrip("#").strip(" \t#:")
            run = k > 0 and blocks[k - 1].kind == "heading"
            if current and not run:
                yield path, current
                current = []
            stack = _push(stack, block.level, name, run)
            path = tuple(n for _, n in stack)
            if path and _same_words(path[0], title):
                path = path[1:]
        current.append(block)
    if current:
        yield path, current


_NUMBERED = re.compile(r"^\d{1,2}[.)]\s")


def _push(stack: list[tuple[int, str]], level: int, name: str, run: bool
          ) -> list[tuple[int, str]]:
    if level:
        kept = [entry for entry in stack if entry[0] < level]
        return [*kept, (level, name)]
    if stack and (run or (_NUMBERED.match(name) and not _NUMBERED.match(stack[0][1]))):
        return [stack[0], (0, name)]
    return [(0, name)]


def _same_words(a: str, b: str) -> bool:
    return bool(b) and re.findall(r"\w+", a.casefold()) == re.findall(r"\w+", b.casefold())


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        out.append(_trim(text, pos, m.start(1)))
        pos = m.end(1)
    out.append(_trim(text, pos, end))
    return [s for s in out if s[0] < s[1]]


def _prose(text: str, start: int, end: int, size: int) -> list[_Atom]:
    """Sentences of a span; a sentence longer than ``size`` is cut at the last whitespace
    that keeps each piece within size (or at ``size`` when it has none)."""
    out = []
    for s, e in _sentences(text, start, end):
        while e - s > size:
            cut = next((k for k in range(s + size, s, -1) if text[k].isspace()), s + size)
            out.append(_Atom(*_trim(text, s, cut), "prose"))
            s = _trim(text, cut, e)[0]
        out.append(_Atom(s, e, "prose"))
    return out


def _atoms(text: str, block: Block, size: int) -> list[_Atom]:
    if block.kind == "heading":
        return [_Atom(block.start, block.end, "heading")]
    if block.kind != "table":
        if block.end - block.start <= size:
            return [_Atom(block.start, block.end, "prose")]
        return _prose(text, block.start, block.end, size)
    if block.end - block.start <= TABLE_SLACK * size or len(block.rows) == 1:
        return [_Atom(block.start, block.end, "table")]
    # The header (and its ---|--- line) goes with the first data row and is repeated as the
    # prefix of every later row, so each piece of the table can be read on its own.
    rows = block.rows
    head = 2 if len(rows) > 2 and _SEPARATOR.match(text[rows[1][0]:rows[1][1]]) else 1
    prefix = text[rows[0][0]:rows[head - 1][1]] + "\n"
    first = _Atom(rows[0][0], rows[min(head, len(rows) - 1)][1], "row")
    return [first] + [_Atom(s, e, "row", prefix=prefix) for s, e in rows[head + 1:]]


def _pack(text: str, atoms: list[_Atom], size: int, overlap: int) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    cur: list[_Atom] = []
    prefix = ""
    queue = atoms[::-1]
    while queue:
        atom = queue.pop()
        if not cur or atom.end - cur[0].start + len(prefix) <= size:
            cur.append(atom)
        elif atom.kind != "heading" and all(a.kind == "heading" for a in cur):
            # A heading never ends a chunk: give it the block's first sentences, or glue on
            # the first sentence or table whole if that alone is too long.
            parts = _prose(text, atom.start, atom.end, size) if atom.kind == "prose" else []
            if len(parts) > 1:
                queue.extend(parts[::-1])
            else:
                cur.append(atom)
        else:
            out.append((cur[0].start, cur[-1].end, prefix))
            start = _overlap_start(text, cur, atom, size, overlap)
            cur = [_Atom(start, cur[-1].end, "prose"), atom] if start is not None else [atom]
            prefix = atom.prefix if start is None else ""
    if cur:
        out.append((cur[0].start, cur[-1].end, prefix))
    return out


def _overlap_start(text: str, done: list[_Atom], nxt: _Atom, size: int, overlap: int
                   ) -> int | None:
    """Start of the longest run of whole trailing sentences of ``done`` that fits in
    ``overlap`` and keeps the next chunk within ``size``; None when none fits.

    A piece of a cut sentence never qualifies: pieces are cut as long as possible, so a piece
    and its neighbour never fit in one chunk, and a chunk's first atom is never overlap."""
    if nxt.kind != "prose":
        return None
    best, end = None, done[-1].end
    for atom in reversed(done):
        if atom.kind != "prose":
            break
        for s, _ in reversed(_sentences(text, atom.start, atom.end)):
            if end - s > overlap or nxt.end - s > size or s <= done[0].start:
                return best
            best = s
    return best
