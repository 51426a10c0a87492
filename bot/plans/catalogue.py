"""Questions about the documents themselves, answered from the catalogue ingestion recorded.

"Who wrote the REVE Chat article?" is not a question about the article's text: the author box
is page furniture that cleaning drops, while ``metadata.json`` (or an upload's form) records
the author and publisher. "Which documents do you have?" is a question about the corpus.
Retrieval answers neither: it finds passages that share the question's words. This plan
answers both from the catalogue, without the model, and cites each document it names (where
its text names the author too, that sentence; otherwise its opening), so the user sees
which document is meant.

A question asks about authorship when it asks who wrote, authored or published something, or
for its author, writer or publisher; it names a document (``named_document``) whose entry
records one. Otherwise it is left to the other plans: "Who initially wrote R?" is about R,
and the documents' text answers it. A question asks for the corpus when, besides words
for documents and for having or showing, it says nothing else: "which documents do you
have", "list your sources", "how many files are loaded"; "which documents are about
sorting" asks about sorting and is left to the cross-document plan.
"""

from __future__ import annotations

import re

from bot.plans.corpus import Corpus, named_document
from bot.plans.draft import Draft, DraftBlock, Piece
from bot.plans.spans import first_sentence, piece
from bot.schema import Chunk, Passage
from bot.text import content_words, sentences

_AUTHORSHIP = re.compile(
    r"\bwho\b[^?.]{0,40}\b(?:wrote|writes|authored|published|publishes|penned|is\s+behind)\b|"
    r"\b(?:who|what|which)(?:\s+\w+)?\s+(?:is|are|was|were)\s+(?:the\s+)?(?:\w+\s+)?"
    r"(?:authors?|writers?|publishers?)\b|"
    r"^\W*(?:the\s+)?(?:\w+\s+)?(?:authors?|writers?|publishers?)\s+of\b|\bby\s+whom\b|"
    r"\bwhose\s+(?:article|post|document|paper|page|book|manual|guide|report)\b",
    re.IGNORECASE)
_DOCUMENTS = frozenset(content_words(
    "documents document docs doc sources source articles article files file papers paper "
    "pages page texts text library corpus collection", stem=True))
_ABOUT_HOLDING = frozenset(content_words(
    "have has hold holds got contain contains available indexed loaded stored use uses using "
    "access know read show list name many currently right now there yours kinds kind", stem=True))
_AUTHOR_LINE = re.compile(r"\b(?:authors?|written\s+by|wrote|maintained\s+by|edited\s+by|"
                          r"contributed\s+by)\b", re.IGNORECASE)
MIN_LINE_WORDS = 4
"""A sentence saying 'author' counts with this many words or more ('Author::' alone says
nothing; 'The principal author of this manual was Brian Ripley.' does)."""
MAX_AUTHOR_LINES = 2
MAX_LISTED = 30
"""A corpus answer names this many documents at most, then says how many more there are."""


def plan_catalogue(question: str, corpus: Corpus) -> Draft | None:
    """The catalogue's answer, or None when the question is not about the documents."""
    if asks_for_the_library(question):
        return _listing_draft(corpus)
    if _AUTHORSHIP.search(question):
        doc_id = named_document(question, corpus)
        if doc_id is not None:
            return _authorship_draft(corpus, doc_id)
    return None


def asks_for_the_library(question: str) -> bool:
    """Whether the question asks which documents there are, and nothing else."""
    said = set(content_words(question, stem=True))
    rest = set(content_words(question, stem=True, question=True)) - _DOCUMENTS - _ABOUT_HOLDING
    return bool(said & _DOCUMENTS) and not rest


def _listing_draft(corpus: Corpus) -> Draft | None:
    """A block per document (its catalogue name as the caption, its opening cited)."""
    docs = sorted(corpus.documents.values(), key=lambda d: d.title.casefold())
    blocks = []
    for info in docs[:MAX_LISTED]:
        opening = _opening(corpus.doc_chunks(info.doc_id))
        if opening is not None:
            blocks.append(DraftBlock("bullets", (opening,), caption=_named(corpus, info.doc_id)))
    if not blocks:
        return None
    more = len(docs) - len(blocks)
    intro = (f"The library holds {len(docs)} document{'s' if len(docs) != 1 else ''} (names "
             "from its catalogue, each with its opening line"
             + (f"; the first {len(blocks)} shown, {more} more not" if more > 0 else "") + "):")
    return Draft("list", tuple(blocks),
                 tuple(Passage(b.items[0].chunk, 0.0) for b in blocks), intro=intro)


def _authorship_draft(corpus: Corpus, doc_id: str) -> Draft | None:
    info = corpus.documents.get(doc_id)
    if info is None or not (info.author or info.publisher):
        return None
    chunks = corpus.doc_chunks(doc_id)
    shown = _authorship_lines(chunks, info.author)
    opening = _opening(chunks) if not shown else None
    if opening is not None:
        shown = [opening]
    if not shown:
        return None
    intro = (f"“{corpus.title(doc_id)}” {_credit(info.author, info.publisher)} (from the "
             "library's catalogue)." + (" The document itself says:" if opening is None
                                        else " It begins:"))
    return Draft("fact", (DraftBlock("bullets", tuple(shown)),),
                 tuple(Passage(c, 0.0) for c in dict.fromkeys(p.chunk for p in shown)),
                 intro=intro)


def _credit(author: str, publisher: str) -> str:
    """'was written by A and published by P', 'is by P' when they are the same."""
    if author and author == publisher:
        return f"is by {author}"
    parts = [f"was written by {author}"] if author else ["names no author in its catalogue entry"]
    if publisher:
        parts.append(f"published by {publisher}")
    return " and ".join(parts)


def _named(corpus: Corpus, doc_id: str) -> str:
    info = corpus.documents[doc_id]
    by = ", ".join(dict.fromkeys(x for x in (info.author, info.publisher) if x))
    return f"{info.title}" + (f" ({by})" if by else "")


def _opening(chunks: list[Chunk]) -> Piece | None:
    """The document's first sentence of prose, or failing that its first words."""
    for chunk in chunks[:3]:
        for part in chunk.parts:
            if part.kind == "paragraph":
                found = first_sentence(chunk, part)
                if found:
                    return found
    return piece(chunks[0], chunks[0].start, chunks[0].end) if chunks else None


def _authorship_lines(chunks: list[Chunk], name: str) -> list[Piece]:
    """The document's own sentences about who wrote it, at most MAX_AUTHOR_LINES: first those
    saying "author", "written by", "maintained by"... (the text may say more than the
    catalogue: "The principal author of this manual was Brian Ripley"), then those naming
    ``name``."""
    saying: dict[tuple[int, int], Piece] = {}
    naming: dict[tuple[int, int], Piece] = {}
    for chunk in chunks:
        for span in sentences(chunk.text):
            named = bool(name) and name in span.text
            says = _AUTHOR_LINE.search(span.text) and len(span.text.split()) >= MIN_LINE_WORDS
            if not (named or says):
                continue
            shown = piece(chunk, chunk.start + span.start, chunk.start + span.end)
            if shown:
                (saying if says else naming).setdefault((shown.start, shown.end), shown)
    return [*saying.values(), *naming.values()][:MAX_AUTHOR_LINES]
