"""A plan's draft becomes the answer's blocks: every span numbered as a citation, every piece
checked against its source, and the whole written out as Markdown.

Each distinct span gets its own number, so a table cell's badge points at exactly the words
it came from. A piece is kept only when its source span supports it (the same word and
number checks as a model's sentences) and is not an instruction to a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.answering.check import (
    LEXICAL_SUPPORT,
    CitedAnswer,
    cited_sentence,
    lexical_support,
    markers,
)
from bot.instructions import is_instruction
from bot.plans import Draft, DraftBlock, Piece
from bot.schema import Block, Cell, Chunk, Citation, Sentence
from bot.text import numbers


@dataclass
class Numbering:
    """Citation numbers for spans, in order of first use; a span used twice keeps its number."""

    citations: list[Citation] = field(default_factory=list)
    _numbers: dict[tuple[str, int, int], int] = field(default_factory=dict)
    _chunks: dict[str, Chunk] = field(default_factory=dict)

    def chunks(self) -> list[Chunk]:
        """The chunks the numbered spans lie in, in order of first use."""
        return list(self._chunks.values())

    def number(self, piece: Piece) -> int:
        key = (piece.chunk.chunk_id, piece.start, piece.end)
        self._chunks.setdefault(piece.chunk.chunk_id, piece.chunk)
        if key not in self._numbers:
            self._numbers[key] = len(self.citations) + 1
            self.citations.append(Citation.from_span(len(self.citations) + 1, piece.chunk,
                                                     piece.start, piece.end))
        return self._numbers[key]

    def renumber(self, checked: CitedAnswer) -> tuple[Sentence, ...]:
        """A checked model answer's sentences with their citations taken into this numbering."""
        by_old = {c.number: c for c in checked.citations}
        out = []
        for sentence in checked.sentences:
            new = tuple(self._adopt(by_old[n]) for n in sentence.citations if n in by_old)
            out.append(Sentence(sentence.text, new, sentence.supported, sentence.support_score))
        return tuple(out)

    def _adopt(self, citation: Citation) -> int:
        key = (citation.chunk_id, citation.start, citation.end)
        if key not in self._numbers:
            self._numbers[key] = len(self.citations) + 1
            self.citations.append(replace(citation, number=len(self.citations) + 1))
        return self._numbers[key]


def supported(piece: Piece) -> bool:
    """A piece says what its span says: its words and figures are there, and it does not
    address a model."""
    text = piece.text.removesuffix("…")
    quote = piece.quote
    return (bool(quote) and not is_instruction(text) and numbers(text) <= numbers(quote)
            and lexical_support(text, quote) >= LEXICAL_SUPPORT)


def numbered_blocks(draft: Draft, numbering: Numbering) -> tuple[Block, ...]:
    """The draft's blocks with every kept piece numbered; empty blocks left out."""
    out = []
    for block in draft.blocks:
        built = _table(block, numbering) if block.kind == "table" else _bullets(block, numbering)
        if built.items or built.rows:
            out.append(built)
    return tuple(out)


def _cell(piece: Piece | None, numbering: Numbering) -> Cell | None:
    if piece is None or not supported(piece):
        return None
    return Cell(piece.text, (numbering.number(piece),))


def _bullets(block: DraftBlock, numbering: Numbering) -> Block:
    kept = [(item, label) for item, label in zip(
        block.items, block.labels or tuple(None for _ in block.items), strict=True)
        if supported(item)]
    if not kept:
        return Block("bullets")
    title = _cell(block.title, numbering) or Cell(block.caption)  # numbered first: read first
    items = []
    for item, label in kept:
        named = _cell(label, numbering)
        cell = Cell(item.text, (numbering.number(item),))
        if named is not None:
            cell = Cell(f"**{named.text.rstrip(':')}**: {cell.text}",
                        named.citations + cell.citations)
        items.append(cell)
    return Block("bullets", items=tuple(items), title=title)


def _table(block: DraftBlock, numbering: Numbering) -> Block:
    rows = []
    for row in block.rows:
        cells = [_cell(p, numbering) for p in row]
        if cells and cells[0] is not None and any(c is not None for c in cells[1:]):
            rows.append(tuple(c or Cell("—") for c in cells))
    return Block("table", header=block.header, rows=tuple(rows), title=Cell(block.caption))


def paragraph(sentences: Sequence[Sentence]) -> Block:
    return Block("paragraph", items=tuple(Cell(s.text, s.citations) for s in sentences))


def cell_sentences(blocks: Sequence[Block]) -> tuple[Sentence, ...]:
    """Every cited piece as a checked sentence (for the support figures)."""
    return tuple(Sentence(c.text, c.citations, True, 1.0) for b in blocks if b.kind != "paragraph"
                 for c in b.cells() if c.citations)


# -- Markdown ---------------------------------------------------------------------------------
def markdown(intro: str, blocks: Sequence[Block]) -> str:
    """The answer as Markdown: the intro line, then each block; citations as ``[n]``."""
    parts = [intro] if intro else []
    parts += [_block_markdown(b) for b in blocks]
    return "\n\n".join(p for p in parts if p)


def cited(cell: Cell) -> str:
    return f"{cell.text} {markers(cell.citations)}" if cell.citations else cell.text


def _block_markdown(block: Block) -> str:
    lines = []
    if block.title.text:
        lines.append(f"**{block.title.text}** {markers(block.title.citations)}")
    if block.kind == "bullets":
        lines += [f"- {cited(c)}" for c in block.items]
    elif block.kind == "table":
        lines.append("| " + " | ".join(_escape(h) for h in block.header) + " |")
        lines.append("|" + "---|" * len(block.header))
        lines += ["| " + " | ".join(_escape(cited(c)) for c in row) + " |" for row in block.rows]
    else:
        lines.append(" ".join(cited_sentence(c.text, c.citations) for c in block.items))
    return "\n".join(line.strip() for line in lines)


def _escape(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())
