"""load -> clean -> chunk -> embed -> store, incrementally and safely.

Content-hash chunk ids make re-ingestion cheap: only new chunk texts are embedded; moved ones
get new offsets; vanished ones are deleted. Every vector is computed before the first write, so
readers keep answering from the previous contents while a big upload embeds; the writes then
follow in seconds, and if one fails the ones already made are undone. Only a run that changed
something gives the index a new contents version (which tells running bots to refresh).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.backends.base import Embed
from bot.backends.embedders import make_embedder
from bot.catalog import FileResult, IngestReport, Progress, Status
from bot.schema import Chunk, Document
from bot.settings import Settings
from bot.store import IndexInfo, Store, chunk_metadata, connect, writing
from ingest.chunk import chunk_document
from ingest.clean import clean_document
from ingest.load import FileProblem, PdfLimits, load_documents

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Plan:
    new: list[Chunk]
    moved: dict[str, dict[str, Any]]
    stale: list[str]
    unchanged: int
    stored: dict[str, dict[str, Any]]  # chunk metadata before this run: what undo restores
    added: int = 0  # new chunks already stored (a staging build writes as it embeds)


def ingest_corpus(settings: Settings, paths: Sequence[Path] | None = None, *,
                  rebuild: bool = False, progress: Progress | None = None) -> IngestReport:
    """Bring the index in line with the documents under ``paths`` (default: the corpus).

    Documents that were ingested from other roots are left alone; documents that were under
    these roots and are gone now are deleted; a file that fails to load is reported and
    whatever was stored from it before is kept. StoreBusyError when another process is
    writing the same embedded store.
    """
    started = time.perf_counter()
    roots = [Path(p) for p in (paths or settings.corpus)]
    loaded = load_documents(roots, max_file_bytes=settings.max_file_bytes,
                            pdf_limits=PdfLimits.from_settings(settings))
    docs = [clean_document(d).document for d in loaded.documents]
    chunks = {d.doc_id: chunk_document(d, chunk_size=settings.chunk_size,
                                       chunk_overlap=settings.chunk_overlap) for d in docs}
    embedder = make_embedder(settings.embedder)
    info = IndexInfo.from_settings(settings, embedder)
    with writing(settings):
        client = connect(settings)
        rebuilt = rebuild or not Store(client, settings.collection, info).exists()
        target = Store(client, settings.collection, info, staging=rebuilt)
        if rebuild:
            target.drop()  # a fresh rebuild must not resume an older staging index
        target.open(create=True)
        keys = {d.doc_id: doc_key(d) for d in docs}
        metas = _stored_metadata(docs, chunks, keys)
        plan = _plan(target, chunks, metas, _scope(roots, loaded.problems))
        versions = target.document_keys()
        files = _file_results(docs, chunks, keys, plan, versions, loaded.problems)
        new_docs = _versions_to_store(docs, keys, versions)
        if rebuilt:  # nobody reads a staging index: store each batch as it is embedded, so
            # an interrupted build resumes where it stopped instead of embedding again
            _embed(plan.new, embedder.embed_documents, progress,
                   lambda batch, vectors: target.add_chunks(batch, vectors, metas))
            plan = replace(plan, new=[], added=len(plan.new))
        vectors = _embed(plan.new, embedder.embed_documents, progress)
        _apply(target, plan, metas, vectors, new_docs, embedder.embed_documents)
        final = _finish(target, rebuilt, changed=bool(plan.new or plan.moved or plan.stale
                                                      or new_docs))
        return IngestReport(
            index=final.name, files=files, added=len(plan.new) + plan.added,
            updated=len(plan.moved),
            deleted=len(plan.stale), unchanged=plan.unchanged,
            index_documents=len(final.documents()), index_chunks=final.count(),
            seconds=time.perf_counter() - started, rebuilt=rebuilt)


def doc_key(doc: Document) -> str:
    """The id of one version of a document: its id and a hash of its title and text."""
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
    return _Plan(new, moved, stale, len(wanted) - len(new) - len(moved), stored)


def _file_results(docs: Sequence[Document], chunks: dict[str, list[Chunk]],
                  keys: dict[str, str], plan: _Plan, versions: dict[str, dict[str, Any]],
                  problems: Sequence[FileProblem]) -> tuple[FileResult, ...]:
    """Per file: added (a new doc_id), updated (new content or place), unchanged, skipped;
    and per document whose file is gone: removed."""
    known = {str(m.get("doc_id")) for m in plan.stored.values()}
    changed = {c.doc_id for c in plan.new} | {str(m["doc_id"]) for m in plan.moved.values()}
    results = []
    for doc in docs:
        status: Status = ("added" if doc.doc_id not in known else
                  "unchanged" if keys[doc.doc_id] in versions and doc.doc_id not in changed
                  else "updated")
        results.append(FileResult(doc.source, status, doc.doc_id, len(chunks[doc.doc_id])))
    results += [FileResult(p.path, "skipped", reason=p.reason) for p in problems]
    gone = {str(plan.stored[cid].get("doc_id")): str(plan.stored[cid].get("source", ""))
            for cid in plan.stale} if plan.stale else {}
    results += [FileResult(source, "removed", doc_id) for doc_id, source in sorted(gone.items())
                if doc_id not in chunks]
    return tuple(results)


def _versions_to_store(docs: Sequence[Document], keys: dict[str, str],
                       versions: dict[str, dict[str, Any]]) -> list[tuple[str, Document]]:
    """New document versions, stamped with when they were indexed and first added."""
    now = time.time()
    added_at = {str(m.get("doc_id")): float(m.get("added_at", m.get("indexed_at", now)))
                for m in versions.values()}
    return [(keys[d.doc_id], replace(d, metadata={**d.metadata, "indexed_at": now,
                                                  "added_at": added_at.get(d.doc_id, now)}))
            for d in docs if keys[d.doc_id] not in versions]


def _stored_metadata(docs: Sequence[Document], chunks: dict[str, list[Chunk]],
                     keys: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The metadata each chunk should have in the store, by chunk id."""
    sources = {d.doc_id: str(Path(d.source).resolve()) for d in docs}
    return {c.chunk_id: {**chunk_metadata(c), "doc_key": keys[doc_id], "source": sources[doc_id]}
            for doc_id, cs in chunks.items() for c in cs}


def _embed(new: list[Chunk], embed: Embed, progress: Progress | None,
           write: Callable[[list[Chunk], list[list[float]]], None] | None = None
           ) -> list[list[float]]:
    """Vectors of ``new`` (or, with ``write``, each batch handed to it as it is done)."""
    batch_size = 64
    vectors: list[list[float]] = []
    for start in range(0, len(new), batch_size):
        batch = new[start:start + batch_size]
        batch_vectors = embed([embedding_text(c) for c in batch])
        if write is None:
            vectors += batch_vectors
        else:
            write(batch, batch_vectors)
        log.info("%s %d of %d new chunks", "embedded" if write is None else "stored",
                 start + len(batch), len(new))
        if progress:
            progress(start + len(batch), len(new))
    return vectors


def embedding_text(chunk: Chunk) -> str:
    """What the embedder sees: the title and headings give a passage its context."""
    heading = " > ".join(chunk.heading_path)
    return "\n".join(p for p in (chunk.title, heading, chunk.full_text) if p)


def _apply(store: Store, plan: _Plan, metas: dict[str, dict[str, Any]],
           vectors: list[list[float]], new_docs: list[tuple[str, Document]],
           embed: Embed) -> None:
    """Write the plan; if a write fails, undo the ones made, so the index is as it was."""
    try:
        store.put_documents(new_docs, embed)
        store.add_chunks(plan.new, vectors, metas)
        store.update_chunk_metadata(plan.moved)
    except BaseException:
        log.warning("a write failed; undoing this run's writes in %s", store.name)
        store.delete_chunks([c.chunk_id for c in plan.new])
        store.update_chunk_metadata({cid: plan.stored[cid] for cid in plan.moved})
        store.delete_documents([key for key, _ in new_docs])
        raise
    # Deletions come last: until they are done the old chunks still answer.
    store.delete_chunks(plan.stale)
    used = {str(m.get("doc_key")) for m in store.chunk_metadata().values()}
    store.delete_documents([k for k in store.document_keys() if k not in used])


def _finish(target: Store, rebuilt: bool, *, changed: bool) -> Store:
    if rebuilt:
        log.info("promoting %s (%d chunks) to the live index", target.name, target.count())
    final: Store = target.promote() if rebuilt else target
    if changed or rebuilt:
        final.mark_changed()
    dropped = final.drop_other_indexes()
    log.info("live index %s; dropped %s", final.name, ", ".join(dropped) or "nothing")
    return final
