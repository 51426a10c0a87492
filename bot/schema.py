"""The core types that flow through citebot: stdlib only, all frozen.

corpus -> Document -> Chunk -> (store) -> Passage -> Answer(Citation...)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ShapeKind = Literal["fact", "list", "comparison", "summary", "cross_document"]
"""The kind of answer a question gets: one statement, or a breadth answer with a structure."""
BlockKind = Literal["paragraph", "bullets", "table"]


@dataclass(frozen=True)
class Document:
    """One source article.

    ``text`` is the document text that every offset in the system points into
    (after cleaning, once ``ingest.clean`` has run).
    """

    doc_id: str
    title: str
    source: str
    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """A structural piece of a chunk, recorded at ingestion so answers can be built from the
    document's own structure: a ``heading``, ``paragraph``, list ``item``, table ``header`` or
    table ``row``. ``start``/``end`` are offsets into the document text (a split table's header
    lies before the chunk: its text is the chunk's ``prefix``); ``cells`` are a row's or header's
    cell spans, also document offsets."""

    kind: str
    start: int
    end: int
    cells: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A piece of a document.

    Invariant: ``document.text[start:end] == text``. ``prefix`` is context that is
    not part of that span but belongs with it, e.g. a table header repeated on a
    piece of a split table; ``full_text`` is what readers and the embedder see.
    """

    chunk_id: str
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    heading_path: tuple[str, ...] = ()
    prefix: str = ""
    index: int = 0
    parts: tuple[Part, ...] = ()

    @property
    def full_text(self) -> str:
        return f"{self.prefix}{self.text}" if self.prefix else self.text

    def span_text(self, start: int, end: int) -> str:
        """The document text at ``start:end`` (document offsets), from this chunk's text or,
        for a repeated table header, its prefix."""
        if self.start <= start and end <= self.end:
            return self.text[start - self.start:end - self.start]
        header_start = self.prefix_start
        return self.prefix[start - header_start:end - header_start] if self.prefix else ""

    @property
    def prefix_start(self) -> int:
        """Document offset of the prefix (a repeated table header), or -1 without one."""
        header = next((p for p in self.parts if p.kind == "header" and p.end <= self.start), None)
        return header.start if header else -1


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: its fused score, and the rank and raw score (cosine similarity for
    ``dense``, BM25 for ``bm25``) it had in each retriever that found it."""

    chunk: Chunk
    score: float
    ranks: Mapping[str, int] = field(default_factory=dict)
    scores: Mapping[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.chunk.full_text

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id

    @property
    def title(self) -> str:
        return self.chunk.title


@dataclass(frozen=True)
class Citation:
    """A ``[number]`` marker in an answer, resolved to the passage that supports it.

    ``quote`` is the supporting text; ``start``/``end`` are its offsets in the
    document text, so ``document.text[start:end] == quote``.
    """

    number: int
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    passage_text: str
    heading_path: tuple[str, ...] = ()
    chunk_id: str = ""

    @classmethod
    def from_span(cls, number: int, chunk: Chunk, start: int, end: int) -> Citation:
        """Citation ``number`` of ``chunk``'s words at ``start:end`` (document offsets)."""
        return cls(number=number, doc_id=chunk.doc_id, title=chunk.title,
                   quote=chunk.span_text(start, end), start=start, end=end,
                   passage_text=chunk.full_text, heading_path=chunk.heading_path,
                   chunk_id=chunk.chunk_id)


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer with the citation numbers it carries and its support."""

    text: str
    citations: tuple[int, ...]
    supported: bool
    support_score: float = 0.0


@dataclass(frozen=True)
class Cell:
    """One cited piece of a structured answer: a sentence, a list item or a table cell. Its
    text is a checked sentence or a verbatim (possibly trimmed) span of a source; ``citations``
    are the numbers of the :class:`Citation` s that hold its span."""

    text: str
    citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class Block:
    """One part of an answer: a ``paragraph`` (``items`` are its sentences), ``bullets``
    (``items`` are the list items) or a ``table`` (``header`` names the columns, each row a
    tuple of cells, the first naming the aspect). ``title`` heads the block when it has one."""

    kind: BlockKind
    items: tuple[Cell, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[Cell, ...], ...] = ()
    title: Cell = Cell("")

    def cells(self) -> tuple[Cell, ...]:
        """Every cited piece of the block, in reading order."""
        title = (self.title,) if self.title.text else ()
        return (*title, *self.items, *(cell for row in self.rows for cell in row))


@dataclass(frozen=True)
class Answer:
    """Everything the UI, CLI, Python API and evaluation show about one answer.

    ``dropped`` holds the draft's sentences that no passage supported (never shown as
    part of the answer); ``complete`` is False when generation failed part way.
    ``shape`` is the kind of question the pipeline decided it was (``fact``, ``list``,
    ``comparison``, ``summary``, ``cross_document``) and ``blocks`` the answer's structure;
    ``text`` is the same answer as Markdown (tables and lists included).
    """

    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    query_used: str
    question: str = ""
    sentences: tuple[Sentence, ...] = ()
    dropped: tuple[str, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)
    model: str = ""
    complete: bool = True
    error: str = ""
    shape: ShapeKind = "fact"
    blocks: tuple[Block, ...] = ()
    cached: bool = False  # served again from the answer cache (timings: "first_*" = original)
    fallback: str = ""  # why this is the quick extractive answer instead of the model's
    tokens: Mapping[str, int] = field(default_factory=dict)  # prompt, prompt_cached, generated

    @property
    def verified(self) -> bool:
        """True when every sentence of the answer is supported by what it cites."""
        return bool(self.sentences) and all(s.supported for s in self.sentences)


@dataclass(frozen=True)
class Turn:
    """One earlier turn of a conversation."""

    role: str  # "user" or "assistant"
    content: str
