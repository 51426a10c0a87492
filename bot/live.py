"""The index as one process sees it, kept in step with the stored index.

Everything a process derives from the index (the open store, the BM25 keyword index, the
plans' view of every chunk, the document list) belongs to one :class:`View` of one contents
version. Before it is used, the stored version is looked up (at most every ``index_check_s``
seconds: one small read); when a write has finished since, in this process or another, a new
View replaces the old one. Answers already under way finish on the View they started with.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from bot.catalog import DocumentEntry
from bot.plans import Corpus, DocInfo
from bot.retrieve import Retriever
from bot.store import IndexInfo, IndexState, Store, connect

if TYPE_CHECKING:
    from bot.backends.base import Embedder
    from bot.settings import Settings


class View:
    """One contents version of the index, and what is derived from it (built on first use)."""

    def __init__(self, store: Store, state: IndexState | None, embed: Embedder) -> None:
        self.store = store
        self.state = state
        self.retriever = Retriever(store, embed)
        self._corpus: Corpus | None = None
        self._documents: list[DocumentEntry] | None = None
        self._lock = threading.Lock()

    @property
    def corpus(self) -> Corpus:
        """The plans' view: every chunk, the documents' names, retrieval."""
        keywords = self.retriever.keywords
        with self._lock:
            if self._corpus is None:
                docs = {}
                for meta in self.store.document_keys().values():
                    doc_id = str(meta.get("doc_id", ""))
                    docs[doc_id] = DocInfo(doc_id, str(meta.get("title", doc_id)),
                                           str(meta.get("publisher", "")),
                                           str(meta.get("author", "")))
                self._corpus = Corpus(keywords.chunks, docs, self.retriever.retrieve,
                                       keywords.idf, self.retriever.embedder.embed_documents,
                                       keywords.vocabulary)
            return self._corpus

    def documents(self) -> list[DocumentEntry]:
        with self._lock:
            if self._documents is None:
                self._documents = self.store.documents()
            return list(self._documents)


class LiveIndex:
    """Hands out the current View; cheap to build (nothing opens until first use)."""

    def __init__(self, settings: Settings, embedder: Embedder, embed: Embedder) -> None:
        self.settings = settings
        self._embedder = embedder  # names the index (model id and dimension)
        self._embed = embed  # what retrieval embeds queries with (cached)
        self._view: View | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def current(self) -> View:
        """The View of the stored contents, replaced first if they changed since."""
        with self._lock:
            now = time.monotonic()
            if self._view is None:
                self._view = self._open()
                self._checked = now
            elif now - self._checked >= self.settings.index_check_s:
                self._checked = now
                if self._view.store.state() != self._view.state:
                    self._view = self._open()
            return self._view

    def invalidate(self) -> None:
        """Look again before the next use (after this process changed the index)."""
        with self._lock:
            self._checked = float("-inf")

    def _open(self) -> View:
        info = IndexInfo.from_settings(self.settings, self._embedder)
        store = Store(connect(self.settings), self.settings.collection, info)
        state = store.state()  # read first: a write landing meanwhile shows at the next look
        return View(store.open(), state, self._embed)
