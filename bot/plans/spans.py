"""Source spans as pieces, one layer above ``draft``: the parts ingestion recorded in a chunk
(paragraphs, list items, headings) read as the :class:`Piece` s an answer shows and cites.

Only a chunk's own text and parts are read here; nothing of the corpus or the question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.instructions import is_instruction
from bot.plans.draft import Piece
from bot.schema import Chunk, Part
from bot.text import LIST_BULLET, sentences

ITEM_CHARS = 220
"""A list item or table cell longer than this is cut after its first sentence (or at a word
near this length): the answer shows the point, the source card the rest."""
LABELLED = re.compile(r"^(?P<label>[A-Z][^:.!?\n]{1,60}):\s+\S")
"""A 'Label: text' paragraph, an item of a list written as paragraphs ('Scope: ...')."""


def piece(chunk: Chunk, start: int, end: int, *, limit: int = ITEM_CHARS,
          strip_bullet: bool = True) -> Piece | None:
    """The span ``start:end`` of ``chunk`` as shown: bullet or number dropped, cut after its
    first sentence when longer than ``limit``. None for an empty span or an injected
    instruction (never shown as a source's words)."""
    text = chunk.span_text(start, end)
    if strip_bullet:
        bullet = LIST_BULLET.match(text)
        if bullet:
            start, text = start + bullet.end(), text[bullet.end():]
    lead = len(text) - len(text.lstrip())
    start, text = start + lead, text.strip()
    if not text or is_instruction(text):
        return None
    if len(text) <= limit:
        return Piece(text, chunk, start, start + len(text))
    first = sentences(text)[0].text
    if len(first) > limit:
        first = text[:limit].rsplit(" ", 1)[0]
    return Piece(first.rstrip(" ,;:–-") + "…", chunk, start, start + len(first.rstrip(" ,;:–-")))


def parts_of(chunks: Sequence[Chunk], kind: str) -> list[tuple[Chunk, Part]]:
    """Every part of ``kind`` in ``chunks``, in document order, each once: a part inside one
    already taken is the overlap a chunk repeats from the chunk before it."""
    taken: dict[str, list[Part]] = {}
    out = []
    for chunk in chunks:
        for part in chunk.parts:
            if part.kind != kind:
                continue
            seen = taken.setdefault(chunk.doc_id, [])
            if any(p.start <= part.start and part.end <= p.end for p in seen):
                continue
            seen.append(part)
            out.append((chunk, part))
    return sorted(out, key=lambda cp: (cp[0].doc_id, cp[1].start))


def statements(chunk: Chunk, part: Part, *, min_words: int = 6) -> list[Piece]:
    """The statements of a paragraph part, in order (questions and fragments skipped)."""
    text = chunk.span_text(part.start, part.end)
    out = []
    for span in sentences(text):
        if len(span.text.split()) >= min_words and not span.text.endswith("?"):
            found = piece(chunk, part.start + span.start, part.start + span.end)
            if found:
                out.append(found)
    return out


def first_sentence(chunk: Chunk, part: Part, *, min_words: int = 5) -> Piece | None:
    """The first statement of a paragraph part (headings, questions and fragments skipped)."""
    found = statements(chunk, part, min_words=min_words)
    return found[0] if found else None


def heading_piece(chunks: Sequence[Chunk], path: tuple[str, ...]) -> Piece | None:
    """The heading of the section at ``path`` among ``chunks``, as shown; None at a
    document's top (no heading: its title is shown with the source line already)."""
    if not path:
        return None
    for chunk, part in parts_of(chunks, "heading"):
        if chunk.span_text(part.start, part.end).strip("# \t:").endswith(path[-1]):
            return piece(chunk, part.start, part.end, strip_bullet=False)
    return None
