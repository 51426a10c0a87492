"""Answer plans: how evidence is gathered for each question shape, and the structure built from it.

A plan reads the structure ingestion recorded (heading paths, list items, table rows and
cells, offsets) through a :class:`Library`, and returns a :class:`Draft`: blocks of
:class:`Piece` s, each a verbatim (possibly trimmed) span of a source. ``bot.compose`` numbers
the spans as citations and renders the answer; the model only writes the connecting sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.absent import Vocabulary, absent_names
from bot.instructions import is_instruction
from bot.schema import Chunk, Part, Passage, ShapeKind
from bot.text import LIST_BULLET, content_words, sentences, stem, words

ITEM_CHARS = 220
"""A list item or table cell longer than this is cut after its first sentence (or at a word
near this length): the answer shows the point, the source card the rest."""

Retrieve = Callable[[str, int], list[Passage]]


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

    kind: str
    items: tuple[Piece, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[Piece | None, ...], ...] = ()
    title: Piece | None = None
    labels: tuple[Piece | None, ...] = ()  # per item: a label shown before it (bold)
    caption: str = ""  # an uncited heading the pipeline writes, e.g. the source's name

    def pieces(self) -> tuple[Piece, ...]:
        """The block's items and table cells (not its title), in reading order."""
        return (*self.items, *(cell for row in self.rows for cell in row if cell))


@dataclass(frozen=True)
class Draft:
    """A plan's result: the blocks, the passages they came from, the lead line (pipeline
    text naming the sources) and the passages the model writes its closing line from when
    every retrieved passage is already quoted (``bot.structured`` prefers those it is not)."""

    shape: ShapeKind
    blocks: tuple[DraftBlock, ...]
    passages: tuple[Passage, ...]
    intro: str = ""
    lead_passages: tuple[Passage, ...] = ()


@dataclass(frozen=True)
class DocInfo:
    doc_id: str
    title: str
    publisher: str = ""
    author: str = ""


@dataclass
class Library:
    """What plans may read: every chunk in document order, each document's title and
    publisher, and retrieval. Built from the retriever's keyword index (already in memory)."""

    chunks: Sequence[Chunk]
    documents: Mapping[str, DocInfo]
    retrieve: Retrieve
    idf: Callable[[str], float] = lambda term: 1.0
    embed: Callable[[Sequence[str]], list[list[float]]] | None = None
    """The embedder, for matching a heading to a question by meaning ('When to Use X' for
    'what is X the right choice for'); None where only words are compared."""
    vocabulary: Vocabulary | None = None
    """The words the chunks use (the keyword index's); None: every name counts as known."""
    _by_doc: dict[str, list[Chunk]] = field(default_factory=dict)
    _tables: list[Any] | None = None
    _catalogue: Vocabulary | None = None

    def tables(self) -> list[Any]:
        """Every table of every document (``bot.plans.tables.Table``), read once."""
        if self._tables is None:
            from bot.plans.tables import tables_in

            self._tables = tables_in(self.chunks)
        return self._tables

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        if not self._by_doc:
            for chunk in self.chunks:
                self._by_doc.setdefault(chunk.doc_id, []).append(chunk)
        return self._by_doc.get(doc_id, [])

    def section(self, doc_id: str, path: tuple[str, ...]) -> list[Chunk]:
        """The chunks under ``path`` (its own and its sub-sections'), in order."""
        return [c for c in self.doc_chunks(doc_id) if c.heading_path[:len(path)] == path]

    def title(self, doc_id: str) -> str:
        info = self.documents.get(doc_id)
        return info.title if info else doc_id

    def absent_names(self, question: str) -> tuple[str, ...]:
        """The question's names (see ``bot.absent``) that no document's text, title,
        publisher or author uses."""
        if self.vocabulary is None:
            return ()
        if self._catalogue is None:  # the names' words, read once per library view
            self._catalogue = Vocabulary(stem(w) for w in words(" ".join(
                f"{d.title} {d.publisher} {d.author}" for d in self.documents.values())))
        text, catalogue = self.vocabulary, self._catalogue
        return absent_names(question, lambda w: text.knows(w) or catalogue.knows(w))


# -- pieces from parts ------------------------------------------------------------------------
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


# -- matching words ---------------------------------------------------------------------------
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
ASKING = frozenset(content_words("""list lists listed name names named enumerate give show tell
need complete full whole entire every each describe describes described mention mentions
mentioned cite cites cited go goes through walk point points just first couple different
various kind kinds type types sort sorts want know like main key agree agrees disagree
disagrees claim claims view views think according per item items piece article articles
using besides except
blog post covers""", stem=True))
"""Words that say how to answer ('list the ...', 'walk me through') or point at a document
('according to the piece that covers ...'), not what about."""


def terms(text: str) -> set[str]:
    """Stemmed content words, number words as digits ('ten' matches '10 Applications'),
    without the words of asking."""
    found = content_words(text, stem=True, question=True)
    return {_NUMBER_WORDS.get(w, w) for w in found} - ASKING


def weighted_overlap(a: str, b: str, idf: Callable[[str], float], *, ignore: str = "") -> float:
    """Share of ``a``'s content words (minus those of ``ignore``) found in ``b``, each word
    weighted by its idf: words the whole corpus uses count for little."""
    wanted = terms(a) - terms(ignore)
    total = sum(idf(t) for t in wanted)
    return sum(idf(t) for t in wanted & terms(b)) / total if total else 0.0


_GENERIC = frozenset(content_words("""article post blog page paper document guide source
summarize summarise summary overview outline main key point points idea ideas takeaway
takeaways cover covers discuss discusses give show tell me about what say says""", stem=True))


def named_document(question: str, library: Library) -> str | None:
    """The document the question names by its title, publisher or author, if one stands out.

    Words are weighted by how rare they are among the documents' names, so words every
    title shares ('LLMs', 'generative') say nothing; a publisher or author named whole wins."""
    docs = list(library.documents.values())
    if not docs:
        return None
    lowered = " ".join(question.casefold().split())
    named = [d.doc_id for d in docs for who in (d.publisher, d.author)
             if who and re.search(rf"(?<!\w){re.escape(who.casefold())}(?!\w)", lowered)]
    if len(set(named)) == 1:
        return named[0]
    wanted = terms(question) - _GENERIC
    names = {d.doc_id: terms(f"{d.title} {d.publisher} {d.author}") for d in docs}
    df = {t: sum(t in n for n in names.values()) for t in wanted}
    weight = {t: math.log((len(docs) + 1) / (df[t] + 0.5)) for t in wanted if df[t]}
    scores = {doc: sum(w for t, w in weight.items() if t in n) for doc, n in names.items()}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] <= 0:
        return None
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return best if score >= 1.0 and score >= 1.5 * runner_up else None


def without_names(question: str, library: Library) -> str:
    """The question without the publishers' and authors' names it uses to point at a
    document: they say which document, not what to look for in it."""
    for info in library.documents.values():
        for name in (info.publisher, info.author):
            if name:
                question = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", question,
                                  flags=re.IGNORECASE)
    return " ".join(question.split())
