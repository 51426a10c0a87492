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
from collections.abc import Iterator
from dataclasses import dataclass

from bot.errors import ConfigError
from bot.schema import Chunk, Document
from ingest.blocks import parse_blocks, trim
from ingest.structure import SEPARATOR, Block, chunk_parts

TABLE_SLACK = 1.25
"""A table up to this many times ``chunk_size`` stays whole: a table a little too large reads
better whole than cut in two, and 1,000 characters still fit a small embedder's window."""

# A sentence ends at . ! ? … (and closing quotes) before whitespace and a character that is
# not a lowercase ASCII letter, so 'e.g. books' is not a boundary.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(\s+)(?=[^\sa-z])")


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
        out.append(trim(text, pos, m.start(1)))
        pos = m.end(1)
    out.append(trim(text, pos, end))
    return [s for s in out if s[0] < s[1]]


def _prose(text: str, start: int, end: int, size: int) -> list[_Atom]:
    """Sentences of a span; a sentence longer than ``size`` is cut at the last whitespace
    that keeps each piece within size (or at ``size`` when it has none)."""
    out = []
    for s, e in _sentences(text, start, end):
        while e - s > size:
            cut = next((k for k in range(s + size, s, -1) if text[k].isspace()), s + size)
            out.append(_Atom(*trim(text, s, cut), "prose"))
            s = trim(text, cut, e)[0]
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
    head = 2 if len(rows) > 2 and SEPARATOR.match(text[rows[1][0]:rows[1][1]]) else 1
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
