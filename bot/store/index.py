"""An index's lifecycle: connecting, naming, opening, swapping in a rebuild, dropping, and the
contents version that tells every reader the index changed.

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
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from bot.errors import CitebotError, IndexMissingError, StoreError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from bot.backends.base import Embedder
    from bot.settings import Settings

CHUNKER_VERSION = "2"  # 2: chunks record their structure (parts)
STAGING = "_staging"
OLD = "_old"
VERSION_KEY = "contents_version"
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


@dataclass(frozen=True)
class IndexState:
    """Which collection is live and which contents it holds: any write that finishes, in
    any process, gives a new ``version``, and a rebuild a new ``collection_id``."""

    collection_id: str
    version: str
    changed_at: float


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


def guarded(action: str) -> Callable[[F], F]:
    """Chroma reports a damaged file only when a read or write touches it, as a bare
    InternalError: turn that into a StoreError that names the store and the fix."""
    def wrap(method: F) -> F:
        @functools.wraps(method)
        def run(self: Index, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except CitebotError:
                raise
            except Exception as exc:
                raise StoreError(self.failure(action, exc)) from exc
        return run  # type: ignore[return-value]
    return wrap


class Index:
    """One index (chunks + document versions) in Chroma. Construction is cheap."""

    def __init__(self, client: ClientAPI, base: str, info: IndexInfo, *, staging: bool = False):
        self.client = client
        self.base = base
        self.info = info
        self.live_name = f"{base}_{info.fingerprint}"
        self.name = self.live_name + (STAGING if staging else "")
        self._chunks: Collection | None = None
        self._docs: Collection | None = None

    def exists(self) -> bool:
        return self.name in self._collection_names()

    def open(self, *, create: bool = False) -> Any:
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

    # -- the contents version ------------------------------------------------------------------
    @guarded("reading the index version")
    def state(self) -> IndexState | None:
        """The live index's state as stored now (one small read, however big the index);
        None when there is no live index. Another process's finished writes show here."""
        from chromadb.errors import NotFoundError

        for name in (self.live_name, self.live_name + OLD):
            try:
                collection = self.client.get_collection(name, embedding_function=None)
            except (NotFoundError, ValueError):
                continue
            meta = collection.metadata or {}
            return IndexState(str(collection.id), str(meta.get(VERSION_KEY, "")),
                              float(meta.get("changed_at", 0.0)))
        return None

    @guarded("recording the new index version")
    def mark_changed(self) -> None:
        """Give the contents a new version, after a write is complete: readers rebuild what
        they derive from the index (keyword index, document list) when they see it."""
        meta = {k: v for k, v in (self.chunks.metadata or {}).items()
                if not k.startswith("hnsw:")}  # Chroma refuses to be told the space again
        meta[VERSION_KEY] = f"{time.time():.6f}-{uuid.uuid4().hex[:8]}"
        meta["changed_at"] = time.time()
        self.chunks.modify(metadata=meta)

    # -- swapping ----------------------------------------------------------------------------
    @guarded("swapping in the new index")
    def promote(self) -> Any:
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
        return type(self)(self.client, self.base, self.info).open()

    @guarded("dropping an index")
    def drop(self) -> None:
        names = set(self._collection_names())
        for name in (self.name, self.name + "_docs"):
            if name in names:
                self.client.delete_collection(name)

    @guarded("dropping old indexes")
    def drop_other_indexes(self) -> list[str]:
        """Delete everything of this base but this index: indexes built with other settings,
        and leftovers of interrupted swaps and rebuilds (a ``--rebuild`` starts afresh anyway)."""
        keep = {self.live_name, self.live_name + "_docs"}
        dropped = [n for n in self._collection_names()
                   if n.startswith(self.base + "_") and n not in keep]
        for name in dropped:
            self.client.delete_collection(name)
        return dropped
