"""The corpus view, the layer above ``draft``, ``spans``, ``matching`` and ``tables``: what
plans may read of the corpus (every chunk in document order, each document's catalogue entry,
retrieval, the embedder), which document a question names, and how a source is named.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.absent import Vocabulary, absent_names
from bot.backends.base import Embed
from bot.plans.matching import terms
from bot.plans.tables import Table, tables_in
from bot.schema import Chunk, Passage
from bot.text import content_words, stem, words

Retrieve = Callable[[str, int], list[Passage]]


@dataclass(frozen=True)
class DocInfo:
    doc_id: str
    title: str
    publisher: str = ""
    author: str = ""


@dataclass
class Corpus:
    """What plans may read: every chunk in document order, each document's title and
    publisher, and retrieval. Built from the retriever's keyword index (already in memory)."""

    chunks: Sequence[Chunk]
    documents: Mapping[str, DocInfo]
    retrieve: Retrieve
    idf: Callable[[str], float] = lambda term: 1.0
    embed: Embed | None = None
    """The embedder, for matching a heading to a question by meaning ('When to Use X' for
    'what is X the right choice for'); None where only words are compared."""
    vocabulary: Vocabulary | None = None
    """The words the chunks use (the keyword index's); None: every name counts as known."""
    _by_doc: dict[str, list[Chunk]] = field(default_factory=dict)
    _tables: list[Table] | None = None
    _catalogue: Vocabulary | None = None

    def tables(self) -> list[Table]:
        """Every table of every document, read once."""
        if self._tables is None:
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
        if self._catalogue is None:  # the names' words, read once per corpus view
            self._catalogue = Vocabulary(stem(w) for w in words(" ".join(
                f"{d.title} {d.publisher} {d.author}" for d in self.documents.values())))
        return absent_names(question, (self.vocabulary, self._catalogue))


_GENERIC = frozenset(content_words("""article post blog page paper document guide source
summarize summarise summary overview outline main key point points idea ideas takeaway
takeaways cover covers discuss discusses give show tell me about what say says""", stem=True))


def named_document(question: str, corpus: Corpus) -> str | None:
    """The document the question names by its title, publisher or author, if one stands out.

    Words are weighted by how rare they are among the documents' names, so words every
    title shares ('LLMs', 'generative') say nothing; a publisher or author named whole wins."""
    docs = list(corpus.documents.values())
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


def without_names(question: str, corpus: Corpus) -> str:
    """The question without the publishers' and authors' names it uses to point at a
    document: they say which document, not what to look for in it."""
    for info in corpus.documents.values():
        for name in (info.publisher, info.author):
            if name:
                question = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", question,
                                  flags=re.IGNORECASE)
    return " ".join(question.split())


def source_line(corpus: Corpus, doc_id: str) -> str:
    """A draft's lead line naming its one source: 'From “Title” (Publisher):'."""
    return f"From “{corpus.title(doc_id)}”{_publisher(corpus, doc_id)}:"


def source_name(corpus: Corpus, doc_id: str) -> str:
    """A source's name as a block's caption: 'Title (Publisher)'."""
    return f"{corpus.title(doc_id)}{_publisher(corpus, doc_id)}"


def _publisher(corpus: Corpus, doc_id: str) -> str:
    info = corpus.documents.get(doc_id)
    return f" ({info.publisher})" if info and info.publisher else ""
