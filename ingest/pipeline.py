"""load -> clean -> chunk -> embed -> store, incrementally and safely.

Content-hash chunk ids make re-ingestion cheap: only new chunk texts are embedded;
moved ones get new offsets; vanished ones are deleted, always after their
replacements are stored, so an interrupted run leaves a usable index.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.backends.embedders import make_embedder
from bot.schema import Chunk, Document
from bot.settings import Settings
from bot.store import IndexInfo, Store, chunk_metadata, connect
from ingest.chunk import chunk_document
from ingest.clean import clean_document
from ingest.load import FileProblem, load_documents

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (chunks embedded so far, chunks to embed)."""


@dataclass(frozen=True)
class IngestReport:
    """What one ingestion run did."""

    documents: int
    chunks: int
    added: int
    updated: int
    deleted: int
    unchanged: int
    seconds: float
    index: str
    rebuilt: bool = False
    problems: tuple[FileProblem, ...] = field(default=())

    @property
    def embedded(self) -> int:
        return self.added

    def summary(self) -> str:
        verb = "rebuilt" if self.rebuilt else "updated"
        return (f"{verb} index '{self.index}': {self.documents} documents, {self.chunks} chunks "
                f"({self.added} added, {self.updated} updated, {self.deleted} deleted, "
                f"{self.unchanged} unchanged), {self.added} embedded, {self.seconds:.1f} s"
                + (f", {len(self.problems)} file(s) skipped" if self.problems else ""))


@dataclass(frozen=True)
class _Plan:
    new: list[Chunk]
    moved: dict[str, dict[str, Any]]
    stale: list[str]
    unchanged: int


def ingest_corpus(settings: Settings, paths: Sequence[Path] | None = None, *,
                  rebuild: bool = False, progress: Progress | None = None) -> IngestReport:
    """Bring the index in line with the documents under ``paths`` (default: the corpus).

    Documents that were ingested from other roots are left alone; documents that
    were under these roots and are gone now are deleted; a file that fails to load
    is reported and whatever was stored from it before is kept.
    """
    started = time.perf_counter()
    roots = [Path(p) for p in (paths or settings.corpus)]
    loaded = load_documents(roots, max_file_bytes=settings.max_file_bytes)
    docs = [clean_document(d).document for d in loaded.documents]
    chunks = {d.doc_id: chunk_document(d, chunk_size=settings.chunk_size,
                                       chunk_overlap=settings.chunk_overlap) for d in docs}
    embedder = make_embedder(settings.embedder)
    info = IndexInfo.from_settings(settings, embedder)
    client = connect(settings)
    live = Store(client, settings.collection, info)
    rebuilt = rebuild or not live.exists()
    target = Store(client, settings.collection, info, staging=rebuilt)
    if rebuild:
        target.drop()  # a fresh rebuild must not resume an older staging index
    target.open(create=True)
    keys = {d.doc_id: _doc_key(d) for d in docs}
    metas = _stored_metadata(docs, chunks, keys)
    plan = _plan(target, chunks, metas, _scope(roots, loaded.problems))
    stored_keys = target.document_keys()
    target.put_documents([(keys[d.doc_id], d) for d in docs if keys[d.doc_id] not in stored_keys],
                         embedder.embed_documents)
    _embed_and_add(target, plan.new, metas, embedder.embed_documents, progress)
    target.update_chunk_metadata(plan.moved)
    target.delete_chunks(plan.stale)
    _drop_unreferenced_documents(target)
    if rebuilt:
        log.info("promoting %s (%d chunks) to the live index", target.name, target.count())
    final = target.promote() if rebuilt else target
    dropped = final.drop_other_indexes()
    log.info("live index %s; dropped %s", final.name, ", ".join(dropped) or "nothing")
    return IngestReport(
        documents=len(docs), chunks=final.count(), added=len(plan.new), updated=len(plan.moved),
        deleted=len(plan.stale), unchanged=plan.unchanged,
        seconds=time.perf_counter() - started, index=final.name, rebuilt=rebuilt,
        problems=loaded.problems)


def _doc_key(doc: Document) -> str:
    digest = hashlib.sha256(f"{doc.title}\0{doc.text}".encode()).hexdigest()[:12]
    return f"{doc.doc_id}@{digest}"


@dataclass(frozen=True)
class _Scope:
    """Which stored chunks this run may delete: those of sources under its roots,
    except sources that failed to load this time (their old chunks are kept)."""

    roots: tuple[Path, ...]
    kept_sources: frozenset[str]

    def owns(self, source: str) -> bool:
        path = Path(source).resolve()
        if str(path) in self.kept_sources:
            return False
        return any(path == r or r in path.parents for r in self.roots)


def _scope(roots: Sequence[Path], problems: Sequence[FileProblem]) -> _Scope:
    # A root that is missing (a typo, an unmounted disk) owns nothing: keep what came from it.
    return _Scope(tuple(r.resolve() for r in roots if r.exists()),
                  frozenset(str(Path(p.path).resolve()) for p in problems))


def _plan(store: Store, chunks: dict[str, list[Chunk]], metas: dict[str, dict[str, Any]],
          scope: _Scope) -> _Plan:
    stored = store.chunk_metadata()
    wanted = {c.chunk_id: c for cs in chunks.values() for c in cs}
    new = [c for cid, c in wanted.items() if cid not in stored]
    moved = {cid: metas[cid] for cid in wanted
             if cid in stored and any(stored[cid].get(k) != v for k, v in metas[cid].items())}
    stale = [cid for cid, meta in stored.items() if cid not in wanted and
             (meta.get("doc_id") in chunks or scope.owns(str(meta.get("source", ""))))]
    return _Plan(new, moved, stale, len(wanted) - len(new) - len(moved))


def _stored_metadata(docs: Sequence[Document], chunks: dict[str, list[Chunk]],
                     keys: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The metadata each chunk should have in the store, by chunk id."""
    sources = {d.doc_id: str(Path(d.source).resolve()) for d in docs}
    return {c.chunk_id: {**chunk_metadata(c), "doc_key": keys[doc_id], "source": sources[doc_id]}
            for doc_id, cs in chunks.items() for c in cs}


def _embed_and_add(store: Store, new: list[Chunk], metas: dict[str, dict[str, Any]],
                   embed: Callable[[Sequence[str]], list[list[float]]],
                   progress: Progress | None) -> None:
    batch_size = 64
    for start in range(0, len(new), batch_size):
        batch = new[start:start + batch_size]
        store.add_chunks(batch, embed([embedding_text(c) for c in batch]), metas)
        log.info("stored %d of %d new chunks in %s", start + len(batch), len(new), store.name)
        if progress:
            progress(start + len(batch), len(new))


def embedding_text(chunk: Chunk) -> str:
    """What the embedder sees: the title and headings give a passage its context."""
    heading = " > ".join(chunk.heading_path)
    return "\n".join(p for p in (chunk.title, heading, chunk.full_text) if p)


def _drop_unreferenced_documents(store: Store) -> None:
    used = {str(m.get("doc_key")) for m in store.chunk_metadata().values()}
    store.delete_documents([k for k in store.document_keys() if k not in used])
