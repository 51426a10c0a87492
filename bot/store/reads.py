"""Reading an index: chunks, nearest neighbours, vectors, document versions and the list of
documents it holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.catalog import DocumentEntry
from bot.schema import Chunk, Document
from bot.store.index import Index, guarded
from bot.store.rows import chunk_from_row, document_from_row, read_all


class Reads(Index):
    @guarded("counting chunks")
    def count(self) -> int:
        return self.chunks.count()

    @guarded("reading chunk metadata")
    def chunk_metadata(self) -> dict[str, dict[str, Any]]:
        """Every chunk id with its metadata (no vectors): what incremental ingestion compares."""
        ids, _, metadatas = read_all(self.chunks, documents=False)
        return {i: dict(m or {}) for i, m in zip(ids, metadatas, strict=True)}

    @guarded("reading the chunks")
    def all_chunks(self) -> list[Chunk]:
        """Every chunk, in document order: what the keyword index is built from."""
        rows = zip(*read_all(self.chunks, documents=True), strict=True)
        chunks = [chunk_from_row(i, d, m or {}) for i, d, m in rows]
        return sorted(chunks, key=lambda c: (c.doc_id, c.index))

    @guarded("searching")
    def query(self, vector: Sequence[float], k: int) -> list[tuple[Chunk, float]]:
        """The ``k`` nearest chunks with their cosine similarity."""
        k = min(k, self.count())
        if k <= 0:
            return []
        query = np.asarray([vector], dtype=np.float32)
        got = self.chunks.query(query_embeddings=query, n_results=k,
                                include=["metadatas", "documents", "distances"])  # type: ignore[list-item]
        rows = zip(got["ids"][0], (got["documents"] or [[]])[0], (got["metadatas"] or [[]])[0],
                   (got["distances"] or [[]])[0], strict=True)
        return [(chunk_from_row(i, d, m or {}), 1.0 - float(dist)) for i, d, m, dist in rows]

    @guarded("reading vectors")
    def similarities(self, vector: Sequence[float], ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the query vector to the stored vectors of ``ids``."""
        if not ids:
            return {}
        got = self.chunks.get(ids=list(ids), include=["embeddings"])  # type: ignore[list-item]
        query = np.asarray(vector, dtype=np.float32)
        stored = np.asarray(got["embeddings"], dtype=np.float32)
        sims = stored @ query / (np.linalg.norm(stored, axis=1) * np.linalg.norm(query) + 1e-9)
        return {i: float(s) for i, s in zip(got["ids"], sims, strict=True)}

    @guarded("reading a document")
    def get_document(self, doc_key: str) -> Document | None:
        """The document version a chunk points into (``Chunk``'s ``doc_key`` metadata)."""
        got = self.docs.get(ids=[doc_key], include=["metadatas", "documents"])  # type: ignore[list-item]
        if not got["ids"]:
            return None
        return document_from_row((got["documents"] or [""])[0], (got["metadatas"] or [{}])[0]
                                 or {})

    @guarded("reading the documents")
    def document_keys(self) -> dict[str, dict[str, Any]]:
        ids, _, metadatas = read_all(self.docs, documents=False)
        return {i: dict(m or {}) for i, m in zip(ids, metadatas, strict=True)}

    def documents(self) -> list[DocumentEntry]:
        """One entry per document the chunks point into, by title."""
        per_key = Counter(str(m.get("doc_key", "")) for m in self.chunk_metadata().values())
        versions = self.document_keys()
        entries = [_entry(versions[key], n) for key, n in per_key.items() if key in versions]
        return sorted(entries, key=lambda e: (e.title.lower(), e.doc_id))


def _entry(meta: dict[str, Any], chunks: int) -> DocumentEntry:
    name = str(meta.get("original_name") or Path(str(meta.get("source", ""))).name)
    suffix = str(meta.get("suffix") or Path(name).suffix).lstrip(".").lower()
    updated = float(meta.get("indexed_at", 0.0))
    return DocumentEntry(doc_id=str(meta.get("doc_id", "")), title=str(meta.get("title", "")),
                         source=str(meta.get("source", "")), name=name, type=suffix,
                         chunks=chunks, bytes=int(meta.get("bytes", 0)),
                         added_at=float(meta.get("added_at", updated)), updated_at=updated,
                         uploaded=bool(meta.get("original_name")))
