"""A table row said in words: the row's label and each cell under its column's name."""

from __future__ import annotations

from bot.schema import Chunk


def row_statement(chunk: Chunk, start: int, end: int) -> str | None:
    """The table row of ``chunk`` at ``chunk.text[start:end]`` as a statement, 'Learning
    approach — LLMs: uses transformers; Generative AI: GANs, diffusion', instead of its raw
    'Learning approach | uses transformers | GANs, diffusion'; None when that text is not a
    row of a table with a header."""
    lo, hi = chunk.start + start, chunk.start + end
    row = next((p for p in chunk.parts if p.kind == "row" and p.start < hi and lo < p.end), None)
    header = next((p for p in chunk.parts if p.kind == "header"), None)
    if row is None or header is None:
        return None
    cells = [" ".join(chunk.span_text(s, e).split()) for s, e in row.cells]
    names = [" ".join(chunk.span_text(s, e).split()) for s, e in header.cells]
    if len(cells) < 2 or len(names) != len(cells):
        return None
    said = "; ".join(f"{name}: {cell.rstrip('.;')}" for name, cell
                     in zip(names[1:], cells[1:], strict=True) if cell.rstrip(".;"))
    return f"{cells[0]} — {said}" if said else None
