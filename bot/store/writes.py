"""Writing an index: document versions, chunks with their vectors, metadata, deletions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from bot.schema import Chunk, Document
from bot.store.index import guarded
from bot.store.reads import Reads
from bot.store.rows import batches, chunk_metadata, doc_metadata


class Writes(Reads):
    @guarded("storing documents")
    def put_documents(self, docs: Iterable[tuple[str, Document]], embed: Any) -> None:
        """Store document versions under their keys (vectors: their titles)."""
        pairs = list(docs)
        if not pairs:
            return
        vectors = embed([d.title for _, d in pairs])
        rows = list(zip(pairs, vectors, strict=True))
        for batch in batches(rows, size=lambda row: len(row[0][1].text)):
            self.docs.upsert(ids=[k for (k, _), _ in batch],
                             embeddings=np.asarray([v for _, v in batch], dtype=np.float32),
                             documents=[d.text for (_, d), _ in batch],
                             metadatas=[doc_metadata(d) for (_, d), _ in batch])

    @guarded("storing chunks")
    def add_chunks(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]],
                   extra: Mapping[str, Mapping[str, Any]]) -> None:
        for batch in batches(list(zip(chunks, vectors, strict=True))):
            self.chunks.upsert(
                ids=[c.chunk_id for c, _ in batch],
                embeddings=np.asarray([v for _, v in batch], dtype=np.float32),
                documents=[c.text for c, _ in batch],
                metadatas=[{**chunk_metadata(c), **extra.get(c.chunk_id, {})} for c, _ in batch])

    @guarded("updating chunk metadata")
    def update_chunk_metadata(self, metadatas: Mapping[str, Mapping[str, Any]]) -> None:
        for batch in batches(list(metadatas.items())):
            self.chunks.update(ids=[i for i, _ in batch], metadatas=[dict(m) for _, m in batch])

    @guarded("deleting chunks")
    def delete_chunks(self, ids: Sequence[str]) -> None:
        for batch in batches(list(ids)):
            self.chunks.delete(ids=batch)

    @guarded("deleting documents")
    def delete_documents(self, keys: Sequence[str]) -> None:
        for batch in batches(list(keys)):
            self.docs.delete(ids=batch)

    def remove_document(self, doc_id: str) -> int:
        """Delete a document's chunks, then its versions; the number of chunks deleted."""
        chunk_ids = [i for i, m in self.chunk_metadata().items() if m.get("doc_id") == doc_id]
        self.delete_chunks(chunk_ids)
        self.delete_documents([k for k, m in self.document_keys().items()
                               if m.get("doc_id") == doc_id])
        return len(chunk_ids)
