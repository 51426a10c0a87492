"""The Chroma store: the only module that imports chromadb.

One index is two collections named from the settings that shape vectors (embedder,
dimension, chunker): ``<base>_<fingerprint>`` holds chunks, ``..._docs`` holds every
document version the chunks point into. Changing those settings therefore selects a
new index instead of mixing vectors. A first build (or ``--rebuild``) fills a staging
index that replaces the live one only when complete, so a crash never harms it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from bot.errors import CitebotError, IndexMissingError, StoreError
from bot.schema import Chunk, Document, Part

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from bot.backends.base import Embedder
    from bot.settings import Settings

log = logging.getLogger(__name__)

CHUNKER_VERSION = "2"  # 2: chunks record their structure (parts)
STAGING = "_staging"
OLD = "_old"
_BATCH = 256
_PAGE = 5_000
"""Reads page through a collection: one unpaginated get of every row fails past 32,766 rows
("too many SQL variables" in Chroma's SQLite layer), and the scale benchmark has 100,000."""
_BATCH_CHARS = 2_000_000
"""Document writes are cut by size too: whole articles in one request made the Chroma server
answer "Payload too large", and embedded Chroma refuses more than 5,461 rows a call."""
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class IndexInfo:
    """What shaped an index's vectors; recorded in the collection's metadata."""

    embedder: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    chunker_version: str = CHUNKER_VERSION

    @property
    def fingerprint(self) -> str:
        raw = json.dumps(self.__dict__, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:10]

    def as_metadata(self) -> dict[str, Any]:
        return {**self.__dict__, "fingerprint": self.fingerprint, "hnsw:space": "cosine"}

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder) -> IndexInfo:
        return cls(embedder.model_id, embedder.dimension, settings.chunk_size,
                   settings.chunk_overlap)


def connect(settings: Settings) -> ClientAPI:
    """A Chroma client: a server's HTTP client when ``chroma_host`` is set, else embedded."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                         settings=chroma_settings)
            client.heartbeat()
            return client
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as exc:  # chromadb raises bare Exceptions/ValueErrors for both cases
        raise StoreError(_connect_message(settings, exc)) from exc


def _connect_message(settings: Settings, exc: Exception) -> str:
    if settings.chroma_host:
        return (f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
                f" ({exc}); start it with `chroma run --path DIR --host {settings.chroma_host}"
                f" --port {settings.chroma_port}` or unset chroma_host to use the embedded store")
    return (f"cannot open the Chroma store in '{settings.chroma_path}' ({exc}); if it is damaged, "
            f"delete that folder and run `citebot ingest --rebuild`")


def _guarded(action: str) -> Callable[[F], F]:
    """Chroma reports a damaged file only when a read or write touches it, as a bare
    InternalError: turn that into a StoreError that names the store and the fix."""
    def wrap(method: F) -> F:
        @functools.wraps(method)
        def guarded(self: Store, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except CitebotError:
                raise
            except Exception as exc:
                raise StoreError(self.failure(action, exc)) from exc
        return guarded  # type: ignore[return-value]
    return wrap


class Store:
    """One index (chunks + document versions) in Chroma. Construction is cheap."""

    def __init__(self, client: ClientAPI, base: str, info: IndexInfo, *, staging: bool = False):
        self.client = client
        self.base = base
        self.info = info
        self.live_name = f"{base}_{info.fingerprint}"
        self.name = self.live_name + (STAGING if staging else "")
        self._chunks: Collection | None = None
        self._docs: Collection | None = None

    # -- opening -----------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.name in self._collection_names()

    def open(self, *, create: bool = False) -> Store:
        """Open (or create) both collections; a missing index names the command that builds it."""
        names = set(self._collection_names())
        if not create and not names & {self.name, self.name + OLD}:
            raise IndexMissingError(self._missing_message())
        try:
            # Mid-swap (see promote) the previous index is still whole under its "_old" name.
            self._chunks = self._collection(self._readable(self.name, names, create))
            self._docs = self._collection(self._readable(self.name + "_docs", names, create))
        except Exception as exc:
            raise StoreError(f"the index '{self.name}' cannot be opened ({exc}); "
                             "run `citebot ingest --rebuild`") from exc
        return self

    @staticmethod
    def _readable(name: str, names: set[str], create: bool) -> str:
        return name if create or name in names or name + OLD not in names else name + OLD

    def _collection(self, name: str) -> Collection:
        # embedding_function=None: Chroma's default one would download a model.
        return self.client.get_or_create_collection(
            name, embedding_function=None, metadata=self.info.as_metadata())

    def _collection_names(self) -> list[str]:
        try:
            return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        except Exception as exc:
            raise StoreError(f"cannot list the Chroma collections ({exc}); "
                             "run `citebot doctor`") from exc

    def failure(self, action: str, exc: Exception) -> str:
        """What went wrong while ``action``, where, and the command that fixes it."""
        conf = self.client.get_settings()
        if conf.is_persistent:
            return (f"the Chroma store in '{conf.persist_directory}' failed while {action} "
                    f"({type(exc).__name__}: {exc}); it may be damaged: delete that folder "
                    "and run `citebot ingest --rebuild`")
        return (f"the Chroma server at {conf.chroma_server_host}:{conf.chroma_server_http_port}"
                f" failed while {action} ({type(exc).__name__}: {exc}); check the server, "
                "then run `citebot doctor`")

    def _missing_message(self) -> str:
        others = [n for n in self._collection_names()
                  if n.startswith(self.base + "_") and not n.endswith(("_docs", STAGING))]
        if others:
            built = self.client.get_collection(others[0], embedding_function=None).metadata or {}
            return (f"the index was built with embedder '{built.get('embedder')}', chunk_size "
                    f"{built.get('chunk_size')}, chunk_overlap {built.get('chunk_overlap')}; the "
                    f"settings now ask for '{self.info.embedder}', {self.info.chunk_size}, "
                    f"{self.info.chunk_overlap}: run `citebot ingest` to rebuild it")
        return "there is no index yet: run `citebot ingest` to build it from the corpus"

    @property
    def chunks(self) -> Collection:
        if self._chunks is None:
            self.open()
        assert self._chunks is not None
        return self._chunks

    @property
    def docs(self) -> Collection:
        if self._docs is None:
            self.open()
        assert self._docs is not None
        return self._docs

    # -- reading -----------------------------------------------------------------------------
    @_guarded("counting chunks")
    def count(self) -> int:
        return self.chunks.count()

    @_guarded("reading chunk metadata")
    def chunk_metadata(self) -> dict[str, dict[str, Any]]:
        """Every chunk id with its metadata (no vectors): what incremental ingestion compares."""
        ids, _, metadatas = _read_all(self.chunks, documents=False)
        return {i: dict(m or {}) for i, m in zip(ids, metadatas, strict=True)}

    @_guarded("reading the chunks")
    def all_chunks(self) -> list[Chunk]:
        """Every chunk, in document order: what the keyword index is built from."""
        rows = zip(*_read_all(self.chunks, documents=True), strict=True)
        chunks = [_chunk_from_row(i, d, m or {}) for i, d, m in rows]
        return sorted(chunks, key=lambda c: (c.doc_id, c.index))

    @_guarded("searching")
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
        return [(_chunk_from_row(i, d, m or {}), 1.0 - float(dist)) for i, d, m, dist in rows]

    @_guarded("reading vectors")
    def similarities(self, vector: Sequence[float], ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the query vector to the stored vectors of ``ids``."""
        if not ids:
            return {}
        got = self.chunks.get(ids=list(ids), include=["embeddings"])  # type: ignore[list-item]
        query = np.asarray(vector, dtype=np.float32)
        stored = np.asarray(got["embeddings"], dtype=np.float32)
        sims = stored @ query / (np.linalg.norm(stored, axis=1) * np.linalg.norm(query) + 1e-9)
        return {i: float(s) for i, s in zip(got["ids"], sims, strict=True)}

    @_guarded("reading a document")
    def get_document(self, doc_key: str) -> Document | None:
        """The document version a chunk points into (``Chunk``'s ``doc_key`` metadata)."""
        got = self.docs.get(ids=[doc_key], include=["metadatas", "documents"])  # type: ignore[list-item]
        if not got["ids"]:
            return None
        meta = dict((got["metadatas"] or [{}])[0] or {})
        return Document(doc_id=str(meta.pop("doc_id")), title=str(meta.pop("title")),
                        source=str(meta.pop("source")), text=(got["documents"] or [""])[0],
                        metadata=meta)

    @_guarded("reading the documents")
    def document_keys(self) -> dict[str, dict[str, Any]]:
        ids, _, metadatas = _read_all(self.docs, documents=False)
        return {i: dict(m or {}) for i, m in zip(ids, metadatas, strict=True)}

    # -- writing -----------------------------------------------------------------------------
    @_guarded("storing documents")
    def put_documents(self, docs: Iterable[tuple[str, Document]],
                      embed: Any) -> None:
        """Store document versions under their keys (vectors: their titles)."""
        pairs = list(docs)
        if not pairs:
            return
        vectors = embed([d.title for _, d in pairs])
        rows = list(zip(pairs, vectors, strict=True))
        for batch in _batches(rows, size=lambda row: len(row[0][1].text)):
            self.docs.upsert(ids=[k for (k, _), _ in batch],
                             embeddings=np.asarray([v for _, v in batch], dtype=np.float32),
                             documents=[d.text for (_, d), _ in batch],
                             metadatas=[_doc_metadata(d) for (_, d), _ in batch])

    @_guarded("storing chunks")
    def add_chunks(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]],
                   extra: Mapping[str, Mapping[str, Any]]) -> None:
        for batch in _batches(list(zip(chunks, vectors, strict=True))):
            self.chunks.upsert(
                ids=[c.chunk_id for c, _ in batch],
                embeddings=np.asarray([v for _, v in batch], dtype=np.float32),
                documents=[c.text for c, _ in batch],
                metadatas=[{**chunk_metadata(c), **extra.get(c.chunk_id, {})} for c, _ in batch])

    @_guarded("updating chunk metadata")
    def update_chunk_metadata(self, metadatas: Mapping[str, Mapping[str, Any]]) -> None:
        for batch in _batches(list(metadatas.items())):
            self.chunks.update(ids=[i for i, _ in batch], metadatas=[dict(m) for _, m in batch])

    @_guarded("deleting chunks")
    def delete_chunks(self, ids: Sequence[str]) -> None:
        for batch in _batches(list(ids)):
            self.chunks.delete(ids=batch)

    @_guarded("deleting documents")
    def delete_documents(self, keys: Sequence[str]) -> None:
        for batch in _batches(list(keys)):
            self.docs.delete(ids=batch)

    # -- swapping ----------------------------------------------------------------------------
    @_guarded("swapping in the new index")
    def promote(self) -> Store:
        """Make this staging index the live one: rename, then drop what it replaces.

        Killed half-way, readers still find a whole index (the live one, else its "_old"
        name), and the next ingestion finishes the swap without embedding again."""
        names = set(self._collection_names())
        for suffix in ("", "_docs"):
            live, new = self.live_name + suffix, self.name + suffix
            old = live + OLD
            if live in names:
                if old in names:
                    self.client.delete_collection(old)  # left by an earlier interrupted swap
                self.client.get_collection(live).modify(name=old)
            self.client.get_collection(new).modify(name=live)
            if live in names or old in names:
                self.client.delete_collection(old)
        return Store(self.client, self.base, self.info).open()

    @_guarded("dropping an index")
    def drop(self) -> None:
        names = set(self._collection_names())
        for name in (self.name, self.name + "_docs"):
            if name in names:
                self.client.delete_collection(name)

    @_guarded("dropping old indexes")
    def drop_other_indexes(self) -> list[str]:
        """Delete everything of this base but this index: indexes built with other settings,
        and leftovers of interrupted swaps and rebuilds (a ``--rebuild`` starts afresh anyway)."""
        keep = {self.live_name, self.live_name + "_docs"}
        dropped = [n for n in self._collection_names()
                   if n.startswith(self.base + "_") and n not in keep]
        for name in dropped:
            self.client.delete_collection(name)
        return dropped


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    return {"doc_id": chunk.doc_id, "title": chunk.title, "start": chunk.start, "end": chunk.end,
            "heading_path": json.dumps(list(chunk.heading_path)), "prefix": chunk.prefix,
            "index": chunk.index, "parts": json.dumps([[p.kind, p.start, p.end, p.cells]
                                                       for p in chunk.parts])}


def _chunk_from_row(chunk_id: str, text: str | None, meta: Mapping[str, Any]) -> Chunk:
    return Chunk(chunk_id=chunk_id, doc_id=str(meta["doc_id"]), title=str(meta["title"]),
                 text=text or "", start=int(meta["start"]), end=int(meta["end"]),
                 heading_path=tuple(json.loads(str(meta.get("heading_path", "[]")))),
                 prefix=str(meta.get("prefix", "")), index=int(meta.get("index", 0)),
                 parts=_parts(str(meta.get("parts", "[]"))))


def _parts(raw: str) -> tuple[Part, ...]:
    return tuple(Part(str(kind), int(start), int(end), tuple((int(a), int(b)) for a, b in cells))
                 for kind, start, end, cells in json.loads(raw))


def _doc_metadata(doc: Document) -> dict[str, Any]:
    extra = {k: v for k, v in doc.metadata.items() if isinstance(v, str | int | float | bool)}
    return {**extra, "doc_id": doc.doc_id, "title": doc.title, "source": doc.source}


def _batches(items: list[Any], size: Callable[[Any], int] | None = None
             ) -> Iterator[list[Any]]:
    """Runs of at most _BATCH items and, when ``size`` is given, about _BATCH_CHARS."""
    batch: list[Any] = []
    chars = 0
    for item in items:
        item_chars = size(item) if size else 0
        if batch and (len(batch) == _BATCH or chars + item_chars > _BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(item)
        chars += item_chars
    if batch:
        yield batch


def _read_all(collection: Collection, *, documents: bool
              ) -> tuple[list[str], list[str | None], list[Mapping[str, Any] | None]]:
    """Ids, documents (None unless asked for) and metadatas of every row, a page at a time."""
    include = ["metadatas", "documents"] if documents else ["metadatas"]
    ids: list[str] = []
    texts: list[str | None] = []
    metadatas: list[Mapping[str, Any] | None] = []
    while True:
        got = collection.get(include=include, limit=_PAGE, offset=len(ids))  # type: ignore[arg-type]
        ids += got["ids"]
        page_texts: list[str | None] = list(got["documents"] or [])
        page_metas: list[Mapping[str, Any] | None] = list(got["metadatas"] or [])
        texts += page_texts or [None] * len(got["ids"])
        metadatas += page_metas or [None] * len(got["ids"])
        if len(got["ids"]) < _PAGE:
            return ids, texts, metadatas
