"""What a plan returns, the bottom layer of ``bot.plans``: a :class:`Draft` of
:class:`DraftBlock` s, each made of :class:`Piece` s (verbatim spans of a source).

Nothing here reads the corpus or the question; every other plan module builds on these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.schema import BlockKind, Chunk, Passage, ShapeKind


@dataclass(frozen=True)
class Piece:
    """Text shown in an answer and the source span it is: ``chunk.span_text(start, end)``.
    ``text`` is that span, with a trailing '…' when it was trimmed."""

    text: str
    chunk: Chunk
    start: int
    end: int

    @property
    def quote(self) -> str:
        return self.chunk.span_text(self.start, self.end)


@dataclass(frozen=True)
class DraftBlock:
    """A block before numbering: ``bullets`` (items), a ``table`` (header + rows) or a
    ``paragraph``; ``title`` and ``label`` s are optional cited headings."""

    kind: BlockKind
    items: tuple[Piece, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[Piece | None, ...], ...] = ()
    title: Piece | None = None
    labels: tuple[Piece | None, ...] = ()  # per item: a label shown before it (bold)
    caption: str = ""  # an uncited heading the pipeline writes, e.g. the source's name

    def pieces(self) -> tuple[Piece, ...]:
        """The block's items and table cells (not its title), in reading order."""
        return (*self.items, *(cell for row in self.rows for cell in row if cell))


LEAD_PASSAGES = 3
"""Passages the model writes a breadth answer's closing line from: a sentence or two needs
no more, and every passage costs prompt seconds."""


def leads(passages: Sequence[Passage]) -> tuple[Passage, ...]:
    """A draft's ``lead_passages``: the first LEAD_PASSAGES of ``passages``."""
    return tuple(passages[:LEAD_PASSAGES])


@dataclass(frozen=True)
class Draft:
    """A plan's result: the blocks, the passages they came from, the lead line (pipeline
    text naming the sources) and the passages the model writes its closing line from when
    every retrieved passage is already quoted (``bot.answering.breadth`` prefers those it
    is not)."""

    shape: ShapeKind
    blocks: tuple[DraftBlock, ...]
    passages: tuple[Passage, ...]
    intro: str = ""
    lead_passages: tuple[Passage, ...] = ()


def with_retrieved(retrieved: Sequence[Passage], chunks: Sequence[Chunk]) -> tuple[Passage, ...]:
    """A draft's passages: the retrieved ones first (their ranks are retrieval's), then the
    chunks its blocks quote that retrieval did not bring."""
    seen = {p.chunk.chunk_id for p in retrieved}
    return (*retrieved, *(Passage(c, 0.0) for c in chunks if c.chunk_id not in seen))
