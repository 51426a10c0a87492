"""The Library: add files to the index (kept in the library folder, named by content hash),
remove a document, re-index everything. ``Bot.add_documents`` and friends call these through
the ``citebot.ingest`` entry point; the web app, the API and the CLI go through the Bot.

Each operation holds the store's write lock from the first check to the last write, so two
uploads at once run one after the other, and a failure leaves the index and the library
folder as they were.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.backends.embedders import make_embedder
from bot.catalog import DocumentEntry, FileResult, IngestReport, Progress
from bot.errors import IndexMissingError, InputError
from bot.settings import Settings
from bot.store import IndexInfo, Store, connect, writing
from ingest.load import METADATA_FILE, SUFFIXES, slugify
from ingest.pipeline import ingest_corpus
from ingest.sniff import content_kind

Entries = dict[str, dict[str, str]]
PENDING_FILE = ".pending.json"
"""The library files an upload in progress is adding; what remains of it after a kill is
undone by :func:`recover_interrupted`."""
log = logging.getLogger(__name__)


def add_files(settings: Settings, paths: Sequence[Path], *,
              progress: Progress | None = None) -> IngestReport:
    """Copy ``paths`` into the library folder and index them: one result per file."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("no files given: choose one or more .txt .md .html .pdf files")
    if len(paths) > settings.max_upload_files:
        raise InputError(f"{len(paths)} files in one upload; the limit is "
                         f"{settings.max_upload_files}: upload them in smaller groups, or raise "
                         "the setting max_upload_files")
    folder = settings.library_path
    with writing(settings):
        recover_interrupted(settings)
        try:
            with _metadata_kept_on_failure(folder) as entries:
                skipped, stored, notes = _store_files(settings, paths, entries)
                names = dict(stored)
                if not stored:
                    return replace(_report_without_run(settings, skipped), notes=tuple(notes))
                _write_metadata(folder, entries)
                report = ingest_corpus(settings, list(stored), progress=progress)
                _drop_unloadable(folder, entries, report, stored)
                _drop_superseded(folder, entries, stored)
        finally:  # done, or undone by _metadata_kept_on_failure: only a kill leaves it
            (folder / PENDING_FILE).unlink(missing_ok=True)
    named = tuple(_as_uploaded(r, names) for r in report.files)
    return replace(report, files=(*named, *skipped), notes=(*report.notes, *notes))


def _as_uploaded(result: FileResult, names: dict[Path, str]) -> FileResult:
    """A result named as the user named the file, not by its stored (hashed) copy, in its
    reason too (issue 24, item 13)."""
    name = names.get(Path(result.path))
    if name is None:
        return result
    return replace(result, path=name, reason=result.reason.replace(result.path, name))


def recover_interrupted(settings: Settings) -> None:
    """Undo an upload that was killed before it finished (issue 24 item 8): the files its
    journal names that the index does not hold are deleted with their metadata, so a later
    re-index does not add what the user never saw added; stray temporary files go too."""
    folder = settings.library_path
    journal = folder / PENDING_FILE
    for temp in folder.glob(".upload-*") if folder.is_dir() else ():
        temp.unlink(missing_ok=True)
    if not journal.is_file():
        return
    try:
        pending = [str(n) for n in json.loads(journal.read_text(encoding="utf-8"))]
        documents = _open(settings).documents()
    except ValueError:  # not a journal citebot wrote (it writes them whole): nothing to undo
        pending, documents = [], []
    except IndexMissingError:  # the first upload, killed before the index existed
        documents = []
    indexed = {Path(d.source).name for d in documents
               if Path(d.source).parent.resolve() == folder.resolve()}
    entries = _read_metadata(folder)
    for name in pending:
        if name not in indexed and Path(name).name == name:
            (folder / name).unlink(missing_ok=True)
            entries.pop(name, None)
            log.info("removed %s, left by an upload that did not finish", name)
    _write_metadata(folder, entries)
    journal.unlink()


def remove_document(settings: Settings, doc_id: str) -> IngestReport:
    """Delete a document from the index, and its copy in the library folder if it has one."""
    started = time.perf_counter()
    with writing(settings):
        store = _open(settings)
        entry = next((d for d in store.documents() if d.doc_id == doc_id), None)
        if entry is None:
            raise InputError(f"there is no document '{doc_id}' in the index: `citebot docs "
                             "list` (or the Library tab) shows the ids there are")
        deleted = store.remove_document(doc_id)
        store.mark_changed()
        notes = _forget_file(settings, entry)
        return IngestReport(index=store.name, files=(FileResult(entry.name, "removed", doc_id,
                                                                 entry.chunks),),
                            added=0, updated=0, deleted=deleted, unchanged=0,
                            index_documents=len(store.documents()), index_chunks=store.count(),
                            seconds=time.perf_counter() - started, notes=notes)


def reindex(settings: Settings, *, progress: Progress | None = None) -> IngestReport:
    """Bring the index in line with the corpus folders and the library folder."""
    with writing(settings):
        recover_interrupted(settings)
        roots = [*settings.corpus, *([settings.library_path]
                                     if settings.library_path.is_dir() else [])]
        return ingest_corpus(settings, roots, progress=progress)


def _open(settings: Settings) -> Store:
    info = IndexInfo.from_settings(settings, make_embedder(settings.embedder))
    return Store(connect(settings), settings.collection, info).open()


def _store_files(settings: Settings, paths: Sequence[Path], entries: Entries
                 ) -> tuple[list[FileResult], dict[Path, str], list[str]]:
    """Check each file and copy the good ones in, named in the journal first;
    (skipped, {stored path: original name}, notes for the user)."""
    folder = settings.library_path
    folder.mkdir(parents=True, exist_ok=True)
    skipped: list[FileResult] = []
    chosen: dict[Path, tuple[bytes, str, str]] = {}
    notes: list[str] = []
    curated = _curated_doc_ids(settings)
    for path in paths:
        name = path.name
        try:
            data = _checked_bytes(path, settings.max_upload_bytes)
        except InputError as exc:
            skipped.append(FileResult(name, "skipped", reason=str(exc)))
            continue
        doc_id = _upload_doc_id(slugify(Path(name).stem), curated, notes, name)
        if doc_id in {d for _, _, d in chosen.values()}:
            skipped.append(FileResult(name, "skipped", doc_id, reason=(
                f"{name} gets doc_id '{doc_id}', like another file of this upload; rename "
                "one of them")))
            continue
        chosen[folder / (hashlib.sha256(data).hexdigest()[:16] + path.suffix.lower())] = (
            data, name, doc_id)
    if new := [t.name for t in chosen if not t.exists()]:
        _write_atomically(folder / PENDING_FILE, json.dumps(new).encode())
    for target, (data, name, doc_id) in chosen.items():
        if not target.exists():
            _write_atomically(target, data)
            log.info("copied %s into the library as %s", name, target.name)
        entries[target.name] = {"doc_id": doc_id, "original_name": name,
                                "uploaded_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    return skipped, {t: n for t, (_, n, _) in chosen.items()}, notes


def _curated_doc_ids(settings: Settings) -> dict[str, str]:
    """{doc_id: source} of the indexed documents that were not uploaded (the corpus's)."""
    folder = settings.library_path.resolve()
    return {d.doc_id: d.source for d in _open(settings).documents()
            if folder not in Path(d.source).resolve().parents}


def _upload_doc_id(wanted: str, curated: dict[str, str], notes: list[str], name: str) -> str:
    """Uploads never take a curated document's doc_id (issue 24 item 3): one that would is
    stored under ``<doc_id>-upload`` and the user is told so."""
    if wanted not in curated:
        return wanted
    doc_id = f"{wanted}-upload"
    notes.append(f"{name} was added as '{doc_id}': '{wanted}' is a document of the curated "
                 f"corpus ({Path(curated[wanted]).name}), which is left as it was. To replace "
                 "it, change the corpus file itself and re-index.")
    return doc_id


def _checked_bytes(path: Path, limit: int) -> bytes:
    """The file's bytes, or an InputError that says what is wrong with it and what to do."""
    name, suffix = path.name, path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{name}: the type '{suffix or '(none)'}' is not supported; upload "
                         f"{' '.join(SUFFIXES)} files")
    try:
        mode = path.lstat().st_mode
        if not stat.S_ISREG(mode):  # a FIFO would hang the read holding the write lock
            what = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
            raise InputError(f"{name} is {what}; upload the file itself")
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{name} is larger than the upload limit of {limit:,} bytes "
                             f"({limit / 1e6:.1f} MB); split it, or raise the setting "
                             "max_upload_bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name} cannot be read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise InputError(f"{name} is empty: there is nothing to index")
    kind = content_kind(data)
    if suffix == ".pdf" and kind != "a PDF document":
        raise InputError(f"{name} is named .pdf but its content is not a PDF"
                         f"{' (it is ' + kind + ')' if kind else ''}; export it as PDF again")
    if suffix != ".pdf" and (kind or b"\x00" in data[:8192]):
        raise InputError(f"{name} is {kind or 'binary data'} by its content, not "
                         f"{suffix} text; upload the document itself as text, Markdown, HTML "
                         "or PDF")
    return data


def _drop_unloadable(folder: Path, entries: Entries, report: IngestReport,
                     stored: dict[Path, str]) -> None:
    """Files the pipeline could not read (a PDF of scanned images, say) are not kept."""
    for result in report.problems:
        path = Path(result.path)
        if path in stored:
            path.unlink(missing_ok=True)
            entries.pop(path.name, None)
            del stored[path]
    _write_metadata(folder, entries)


def _drop_superseded(folder: Path, entries: Entries, stored: dict[Path, str]) -> None:
    """Delete the library copies of older versions of the documents just stored."""
    fresh = {p.name for p in stored}
    doc_ids = {entries[n]["doc_id"] for n in fresh}
    for name in [n for n, e in entries.items() if e.get("doc_id") in doc_ids and n not in fresh]:
        (folder / name).unlink(missing_ok=True)
        del entries[name]
    _write_metadata(folder, entries)


def _forget_file(settings: Settings, entry: DocumentEntry) -> tuple[str, ...]:
    folder = settings.library_path.resolve()
    source = Path(entry.source).resolve()
    if folder not in source.parents:
        return (f"{entry.name} itself is left where it is ({entry.source}): a later `citebot "
                "ingest` of its folder adds it again; move or delete the file to keep it out",)
    entries = _read_metadata(folder)
    entries.pop(source.name, None)
    _write_metadata(folder, entries)
    source.unlink(missing_ok=True)
    return ()


@contextmanager
def _metadata_kept_on_failure(folder: Path) -> Iterator[Entries]:
    """The library's metadata to change; on failure the folder is put back as it was."""
    before = set(folder.iterdir()) if folder.is_dir() else set()
    entries = _read_metadata(folder)
    saved = json.dumps(entries)
    try:
        yield entries
    except BaseException:
        for path in (set(folder.iterdir()) if folder.is_dir() else set()) - before:
            path.unlink(missing_ok=True)
        if folder / METADATA_FILE in before:
            _write_metadata(folder, json.loads(saved))
        raise


def _read_metadata(folder: Path) -> Entries:
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): dict(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_metadata(folder: Path, entries: Entries) -> None:
    if not entries:  # an empty library keeps no metadata file
        (folder / METADATA_FILE).unlink(missing_ok=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(folder / METADATA_FILE,
                      json.dumps(entries, indent=1, sort_keys=True).encode())


def _write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file beside ``target``, then rename: never half a file."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _report_without_run(settings: Settings, skipped: list[FileResult]) -> IngestReport:
    store = _open(settings)
    return IngestReport(index=store.name, files=tuple(skipped), added=0, updated=0, deleted=0,
                        unchanged=0, index_documents=len(store.documents()),
                        index_chunks=store.count(), seconds=0.0)

