"""Sentences as evidence: a chunk's statements as pieces, ranked against a question by meaning
and by its telling words, and a document searched sentence by sentence for those words.

Breadth plans need what a document says about one point, and the best chunks retrieval finds
across the whole corpus often hold none of one article's words on it: one article can fill
the top 36. Scanning a document's own statements for the question's rarer words is cheap (the
chunks are in memory), and finds the table row or sentence a corpus-wide search ranked low.

A layer above the corpus view (it reads the idf, the titles and a document's chunks), used
by the breadth plans (``aspects``, ``crossdoc``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.backends.base import Embed
from bot.instructions import statement_spans
from bot.plans.corpus import Corpus
from bot.plans.draft import Piece
from bot.plans.matching import terms, weighted_overlap
from bot.plans.spans import piece
from bot.schema import Chunk
from bot.text import cosine

LEXICAL_WEIGHT = 0.5
"""A sentence's score is its cosine to the question plus half the idf-weighted share of the
question's words it holds."""
MIN_WORDS = 5


def chunk_sentences(chunk: Chunk, *, limit: int = 300) -> list[Piece]:
    """The chunk's statements (table rows included), headings, questions and fragments of a
    few words left out."""
    out = []
    for span in statement_spans(chunk):
        if len(span.text.split()) >= MIN_WORDS and not span.text.endswith("?"):
            found = piece(chunk, chunk.start + span.start, chunk.start + span.end, limit=limit)
            if found:
                out.append(found)
    return out


def unique(pieces: Iterable[Piece]) -> list[Piece]:
    """Each span once: overlapping chunks repeat their neighbours' sentences."""
    return list({(p.chunk.doc_id, p.start): p for p in pieces}.values())


def searched(query: str, doc_id: str, corpus: Corpus, n: int, *, ignore: str = ""
             ) -> list[Piece]:
    """The document's ``n`` statements holding most of the query's telling words (minus
    those of ``ignore``), best first; none that holds none of them."""
    scored = [(weighted_overlap(query, p.text, corpus.idf, ignore=ignore), p)
              for p in unique(s for c in corpus.doc_chunks(doc_id) for s in chunk_sentences(c))]
    ranked = sorted((x for x in scored if x[0] > 0), key=lambda x: -x[0])
    return [p for _, p in ranked[:n]]


def ranked(query: str, pieces: Sequence[Piece], corpus: Corpus, embed: Embed, *,
           ignore: str = "", headed: bool = False) -> list[tuple[float, Piece]]:
    """The pieces with their scores against ``query``, best first: cosine plus the weighted
    share of the query's words (minus those of ``ignore``) each one holds. ``headed``: each
    piece's meaning is read with its section's heading before it."""
    if not pieces:
        return []
    vectors = embed([query, *((f"{p.chunk.heading_path[-1]}: {p.text}"
                               if headed and p.chunk.heading_path else p.text) for p in pieces)])
    scores = [(cosine(vectors[0], v) + LEXICAL_WEIGHT * weighted_overlap(
        query, p.text, corpus.idf, ignore=ignore), p)
        for p, v in zip(pieces, vectors[1:], strict=True)]
    return sorted(scores, key=lambda x: -x[0])


def subject_words(corpus: Corpus) -> str:
    """The title words most of the documents share (with two or more documents): the
    corpus's subject ('LLMs', 'generative AI' in a corpus comparing the two). In a question
    they say what every passage is about, not which passage answers it."""
    titles = [d.title for d in corpus.documents.values()]
    if len(titles) < 2:
        return ""
    sets = [terms(t) for t in titles]
    common = {t for t in set().union(*sets) if 2 * sum(t in ts for ts in sets) > len(sets)}
    words = {w.casefold(): w for title in titles for w in title.split()
             if terms(w) and terms(w) <= common}
    return " ".join(words.values())


def ignorable(question: str, corpus: Corpus) -> str:
    """The subject words (``subject_words``), to leave out of what is looked for, unless
    the question asks about nothing else."""
    subject = subject_words(corpus)
    return subject if subject and terms(question) - terms(subject) else ""
