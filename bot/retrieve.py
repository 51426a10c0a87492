"""Hybrid retrieval: dense search in Chroma + BM25, score-fused, de-duplicated.

The keyword index is built once per process from the stored chunks, never per query.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.absent import Vocabulary
from bot.schema import Chunk, Passage
from bot.text import content_words, words

if TYPE_CHECKING:
    from bot.backends.base import Embedder
    from bot.store import Store

log = logging.getLogger(__name__)

DUPLICATE_JACCARD = 0.8


class KeywordScores:
    """BM25 scores of one query over every chunk, kept as an array: at 100,000 chunks a
    common word gives tens of thousands of non-zero scores, too many to turn into a dict."""

    def __init__(self, index: KeywordIndex, scores: Any) -> None:
        self._index = index
        self._scores = scores  # numpy array aligned with index.chunks, or None for no match

    def top(self, k: int) -> list[str]:
        """Ids of the ``k`` best-scoring chunks (score above 0), best first."""
        import numpy as np

        if self._scores is None or k <= 0:
            return []
        k = min(k, len(self._scores))
        best = np.argpartition(-self._scores, k - 1)[:k]
        best = best[np.argsort(-self._scores[best], kind="stable")]
        return [self._index.chunks[int(i)].chunk_id for i in best if self._scores[i] > 0]

    def get(self, chunk_id: str) -> float:
        position = self._index.position(chunk_id)
        if self._scores is None or position is None:  # no query word, or a chunk newer
            return 0.0                                 # than the index
        return float(self._scores[position])


class KeywordIndex:
    """BM25 over every stored chunk (bm25s), built once."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG, which leaks "Building index" into every CLI run.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.chunks = list(chunks)
        self._bm25 = bm25s.BM25()
        corpus = [_document_tokens(_searchable(c)) for c in self.chunks]
        self._doc_freq = Counter(t for doc in corpus for t in set(doc))
        self._position = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        self._vocabulary: Vocabulary | None = None
        if self.chunks:
            self._bm25.index(corpus, show_progress=False)

    def chunk(self, chunk_id: str) -> Chunk:
        return self.chunks[self._position[chunk_id]]

    @property
    def vocabulary(self) -> Vocabulary:
        """Every word the chunks use, for telling a question's names the library lacks."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary(self._doc_freq)
        return self._vocabulary

    def position(self, chunk_id: str) -> int | None:
        return self._position.get(chunk_id)

    def idf(self, token: str) -> float:
        """BM25's idf; a word the corpus never uses gets the highest (it is the most telling)."""
        n, df = len(self.chunks), self._doc_freq.get(token, 0)
        return math.log((n - df + 0.5) / (df + 0.5) + 1.0)

    def coverage(self, query: str, chunk: Chunk) -> float:
        """Share of the query's meaning words, weighted by idf, that occur in the chunk.

        "What is the capital of Australia?" scores 0 everywhere here; "What does RLHF
        stand for?" scores high on the passage that spells RLHF out, although a small
        embedder sees little similarity there."""
        terms = set(_query_tokens(query))
        if not terms:
            return 0.0
        present = set(_document_tokens(_searchable(chunk)))
        total = sum(self.idf(t) for t in terms)
        return sum(self.idf(t) for t in terms & present) / total if total else 0.0

    def scores(self, query: str) -> KeywordScores:
        """BM25 scores of every chunk for ``query``."""
        tokens = [t for t in _query_tokens(query) if t in self._doc_freq]
        return KeywordScores(self, self._bm25.get_scores(tokens) if tokens else None)

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        """The ``k`` best chunks by BM25, best first."""
        scores = self.scores(query)
        return [(self.chunk(cid), scores.get(cid)) for cid in scores.top(k)]


class Retriever:
    """Dense + keyword search over one store. Cheap to build; the keyword index loads lazily."""

    def __init__(self, store: Store, embedder: Embedder, *, candidates: int = 20) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self._keywords: KeywordIndex | None = None
        self._lock = threading.Lock()

    @property
    def keywords(self) -> KeywordIndex:
        with self._lock:
            if self._keywords is None:
                self._keywords = KeywordIndex(self.store.all_chunks())
            return self._keywords

    def refresh(self) -> None:
        """Forget the keyword index (after ingestion changed the store)."""
        with self._lock:
            self._keywords = None

    def retrieve(self, query: str, k: int = 5) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first.

        Each retriever proposes its top candidates; every candidate is then scored by
        both (a chunk only BM25 found still gets its cosine similarity, and vice versa),
        so rank fusion compares complete rankings instead of punishing a chunk for
        being missing from one list."""
        vector = self.embedder.embed_query(query)
        dense = dict((c.chunk_id, (c, s)) for c, s in self.store.query(vector, self.candidates))
        keyword_scores = self.keywords.scores(query)
        keyword = keyword_scores.top(self.candidates)
        chunks = {cid: c for cid, (c, _) in dense.items()}
        chunks.update({cid: self.keywords.chunk(cid) for cid in keyword if cid not in chunks})
        cosines = {cid: s for cid, (_, s) in dense.items()}
        cosines.update(self.store.similarities(vector, [c for c in chunks if c not in cosines]))
        bm25 = {cid: keyword_scores.get(cid) for cid in chunks}
        by_dense = sorted(chunks, key=lambda c: -cosines[c])
        by_bm25 = sorted(chunks, key=lambda c: -bm25[c])
        ranked = {"dense": [(chunks[c], cosines[c]) for c in by_dense],
                  "bm25": [(chunks[c], bm25[c]) for c in by_bm25]}
        fused = remove_near_duplicates(fuse(ranked), limit=k)
        return [replace(p, scores={**p.scores, "coverage": self.keywords.coverage(query, p.chunk)})
                for p in fused]


def fuse(results: dict[str, list[tuple[Chunk, float]]],
         weights: dict[str, float] | None = None) -> list[Passage]:
    """Relative score fusion: each retriever's scores are min-max scaled to 0..1 over the
    candidates and summed with ``weights``. Unlike reciprocal rank fusion it keeps the size
    of a lead: a chunk with ten times the BM25 score of the rest wins on a rare term."""
    weights = weights or {name: 1.0 for name in results}
    by_id: dict[str, dict[str, Any]] = {}
    for name, ranked in results.items():
        values = [score for _, score in ranked]
        low, high = min(values, default=0.0), max(values, default=0.0)
        for rank, (chunk, score) in enumerate(ranked, start=1):
            entry = by_id.setdefault(chunk.chunk_id, {"chunk": chunk, "fused": 0.0, "ranks": {},
                                                      "scores": {}})
            scaled = (score - low) / (high - low) if high > low else 0.0
            entry["fused"] += weights.get(name, 1.0) * scaled
            entry["ranks"][name] = rank
            entry["scores"][name] = score
    passages = [Passage(chunk=e["chunk"], score=round(e["fused"], 4), ranks=e["ranks"],
                        scores=e["scores"]) for e in by_id.values()]
    return sorted(passages, key=lambda p: -p.score)


def remove_near_duplicates(passages: Sequence[Passage], limit: int | None = None
                           ) -> list[Passage]:
    """Drop passages that mostly repeat a better one (overlapping spans or the same words),
    stopping once ``limit`` are kept: the candidates below them are never shown."""
    kept: list[tuple[Passage, set[str]]] = []
    for passage in passages:
        if limit is not None and len(kept) >= limit:
            break
        vocabulary = set(words(passage.chunk.text))
        if not any(_near_duplicate(passage.chunk, vocabulary, k.chunk, k_words)
                   for k, k_words in kept):
            kept.append((passage, vocabulary))
    return [passage for passage, _ in kept]


def _near_duplicate(a: Chunk, wa: set[str], b: Chunk, wb: set[str]) -> bool:
    if a.doc_id == b.doc_id:
        overlap = min(a.end, b.end) - max(a.start, b.start)
        if overlap > 0.5 * min(a.end - a.start, b.end - b.start):
            return True
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= DUPLICATE_JACCARD


def _query_tokens(text: str) -> list[str]:
    return content_words(text, stem=True, question=True)


def _document_tokens(text: str) -> list[str]:
    """A chunk's BM25 terms: function words dropped, never the words questions are asked in
    ('mean', 'article', 'difference' are a statistics or legal corpus's subject)."""
    return content_words(text, stem=True)


def _searchable(chunk: Chunk) -> str:
    return " ".join((chunk.title, " ".join(chunk.heading_path), chunk.full_text))
