"""How chunks and documents become Chroma rows and back, and how rows are read and written
in batches Chroma accepts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from bot.schema import Chunk, Document, Part

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

BATCH = 256
PAGE = 5_000
"""Reads page through a collection: one unpaginated get of every row fails past 32,766 rows
("too many SQL variables" in Chroma's SQLite layer), and the scale benchmark has 100,000."""
BATCH_CHARS = 2_000_000
"""Document writes are cut by size too: whole articles in one request made the Chroma server
answer "Payload too large", and embedded Chroma refuses more than 5,461 rows a call."""


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    return {"doc_id": chunk.doc_id, "title": chunk.title, "start": chunk.start, "end": chunk.end,
            "heading_path": json.dumps(list(chunk.heading_path)), "prefix": chunk.prefix,
            "index": chunk.index, "parts": json.dumps([[p.kind, p.start, p.end, p.cells]
                                                       for p in chunk.parts])}


def chunk_from_row(chunk_id: str, text: str | None, meta: Mapping[str, Any]) -> Chunk:
    return Chunk(chunk_id=chunk_id, doc_id=str(meta["doc_id"]), title=str(meta["title"]),
                 text=text or "", start=int(meta["start"]), end=int(meta["end"]),
                 heading_path=tuple(json.loads(str(meta.get("heading_path", "[]")))),
                 prefix=str(meta.get("prefix", "")), index=int(meta.get("index", 0)),
                 parts=_parts(str(meta.get("parts", "[]"))))


def _parts(raw: str) -> tuple[Part, ...]:
    return tuple(Part(str(kind), int(start), int(end), tuple((int(a), int(b)) for a, b in cells))
                 for kind, start, end, cells in json.loads(raw))


def doc_metadata(doc: Document) -> dict[str, Any]:
    extra = {k: v for k, v in doc.metadata.items() if isinstance(v, str | int | float | bool)}
    return {**extra, "doc_id": doc.doc_id, "title": doc.title, "source": doc.source}


def document_from_row(text: str | None, meta: Mapping[str, Any]) -> Document:
    rest = dict(meta)
    return Document(doc_id=str(rest.pop("doc_id")), title=str(rest.pop("title")),
                    source=str(rest.pop("source")), text=text or "", metadata=rest)


def batches(items: list[Any], size: Callable[[Any], int] | None = None) -> Iterator[list[Any]]:
    """Runs of at most BATCH items and, when ``size`` is given, about BATCH_CHARS."""
    batch: list[Any] = []
    chars = 0
    for item in items:
        item_chars = size(item) if size else 0
        if batch and (len(batch) == BATCH or chars + item_chars > BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(item)
        chars += item_chars
    if batch:
        yield batch


def read_all(collection: Collection, *, documents: bool
             ) -> tuple[list[str], list[str | None], list[Mapping[str, Any] | None]]:
    """Ids, documents (None unless asked for) and metadatas of every row, a page at a time."""
    include = ["metadatas", "documents"] if documents else ["metadatas"]
    ids: list[str] = []
    texts: list[str | None] = []
    metadatas: list[Mapping[str, Any] | None] = []
    while True:
        got = collection.get(include=include, limit=PAGE, offset=len(ids))  # type: ignore[arg-type]
        ids += got["ids"]
        page_texts: list[str | None] = list(got["documents"] or [])
        page_metas: list[Mapping[str, Any] | None] = list(got["metadatas"] or [])
        texts += page_texts or [None] * len(got["ids"])
        metadatas += page_metas or [None] * len(got["ids"])
        if len(got["ids"]) < PAGE:
            return ids, texts, metadatas
