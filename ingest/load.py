"""Read files and folders into ``Document``s. A file that cannot be used becomes a
``FileProblem`` that says what is wrong and how to fix it; it never stops the others."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.schema import Document
from ingest.html import html_text
from ingest.sniff import content_kind

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
METADATA_FILE = "metadata.json"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_MD_TITLE = re.compile(r"^#[ \t]+(\S.*)$", re.MULTILINE)
Metadata = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class FileProblem:
    """A file (or metadata file) that was skipped, and why, in a sentence that says the fix."""

    path: str
    reason: str


@dataclass(frozen=True)
class LoadResult:
    """The documents that loaded, in path order, and the problems with the rest."""

    documents: tuple[Document, ...]
    problems: tuple[FileProblem, ...]


@dataclass(frozen=True)
class PdfLimits:
    """How much work one PDF may cost: its size on disk says little (a 19 KB file can unpack
    to 24 MB of page content that takes minutes to parse)."""

    pages: int = 2000
    page_bytes: int = 1_000_000
    seconds: float = 20.0

    @classmethod
    def from_settings(cls, settings: Any) -> PdfLimits:
        return cls(settings.max_pdf_pages, settings.max_pdf_page_bytes, settings.max_pdf_seconds)


class _Skip(Exception):
    """Internal: this file cannot be used; the message is the FileProblem reason."""


def load_documents(paths: Sequence[Path], *, max_file_bytes: int = 5_000_000,
                   pdf_limits: PdfLimits = PdfLimits()) -> LoadResult:
    """Load text, Markdown, HTML and PDF files, and folders of them, as documents.

    Args:
        paths: Files or folders. Folders are searched recursively for .txt .md .html .htm
            .pdf files (sorted; hidden files and folders skipped). A ``metadata.json`` in a
            file's folder may give its ``doc_id``, ``title``, ``publisher`` and ``author``.
        max_file_bytes: Files larger than this are skipped with a problem.
        pdf_limits: PDFs with more pages, a page of more content, or slower to read are
            skipped with a problem.

    Returns:
        The documents and one problem per file that could not be used (missing, unreadable,
        empty, binary, not UTF-8, too large, damaged PDF, or a doc_id already taken).
    """
    documents: list[Document] = []
    problems: list[FileProblem] = []
    owners: dict[str, str] = {}
    seen: set[Path] = set()
    for path, meta in _expand(paths, problems):
        if path.resolve() in seen:
            continue  # the same file reached twice (a folder and a file inside it)
        seen.add(path.resolve())
        try:
            doc = _load_file(path, meta, max_file_bytes, pdf_limits)
        except _Skip as exc:
            problems.append(FileProblem(str(path), str(exc)))
            continue
        if doc.doc_id in owners:
            problems.append(FileProblem(str(path), (
                f"{path} gets doc_id '{doc.doc_id}', which {owners[doc.doc_id]} already has; "
                f"rename one of the files or give it its own doc_id in {METADATA_FILE}.")))
            continue
        owners[doc.doc_id] = doc.source
        documents.append(doc)
    for problem in problems:  # info, not warning: a folder may hold thousands; callers summarise
        log.info("skipped %s: %s", problem.path, problem.reason)
    return LoadResult(tuple(documents), tuple(problems))


def slugify(text: str, max_len: int = 64) -> str:
    """A lowercase ASCII slug of ``text`` ('LLMs vs. Gen AI' -> 'llms-vs-gen-ai')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_len].strip("-")
    return slug or "doc-" + hashlib.sha256(text.encode()).hexdigest()[:8]


def _expand(paths: Sequence[Path], problems: list[FileProblem]
            ) -> Iterator[tuple[Path, Mapping[str, str]]]:
    cache: dict[Path, Metadata] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted((p for p in path.rglob("*") if _wanted(p, path)),
                           key=lambda p: p.relative_to(path).as_posix())
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                problems.append(FileProblem(str(path), (
                    f"{path} has an unsupported type '{path.suffix}'; "
                    f"convert it to one of {' '.join(SUFFIXES)}.")))
                continue
            files = [path]
        else:
            problems.append(FileProblem(str(path), (
                f"{path} does not exist; check the path, or create the file or folder.")))
            continue
        for file in files:
            if file.parent not in cache:
                cache[file.parent] = _read_metadata(file.parent, problems)
            yield file, cache[file.parent].get(file.name, {})


def _wanted(path: Path, root: Path) -> bool:
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return not hidden and path.suffix.lower() in SUFFIXES and path.is_file()


def _read_metadata(folder: Path, problems: list[FileProblem]) -> Metadata:
    """``{file name: {key: str}}`` from ``folder/metadata.json``; a bad file is a problem."""
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(FileProblem(str(path), (
            f"{path} cannot be used ({exc}); fix it to be UTF-8 JSON like "
            '{"file.txt": {"doc_id": "...", "title": "..."}} or delete it.')))
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        problems.append(FileProblem(str(path), (
            f"{path} must map each file name to an object of strings, like "
            '{"file.txt": {"doc_id": "...", "title": "..."}}; fix its layout.')))
        return {}
    return {name: {k: v for k, v in entry.items() if isinstance(v, str) and v.strip()}
            for name, entry in data.items()}


def _load_file(path: Path, meta: Mapping[str, str], max_bytes: int,
               limits: PdfLimits) -> Document:
    data = _read_bytes(path, max_bytes)
    suffix = path.suffix.lower()
    extra: dict[str, Any] = {}
    if suffix == ".pdf":
        text, title, extra["pages"] = _pdf_text(path, data, limits)
    else:
        _check_is_text(path, data)
        text = _decode(path, data)
        title = ""
        if suffix in (".html", ".htm"):
            text, title = html_text(text)
        elif suffix == ".md":
            found = _MD_TITLE.search(text)
            title = found.group(1).rstrip(" \t#") if found else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _visible(text):
        raise _Skip(f"{path} has no text in it (only whitespace or markup); "
                    "add content to it or remove it from the corpus.")
    doc_id = meta.get("doc_id", "")
    doc_id = doc_id if _SAFE_ID.match(doc_id) else slugify(doc_id or path.stem)
    title = meta.get("title") or title.strip() or _shorten(text)
    info = {k: v for k, v in meta.items() if k not in ("doc_id", "title")}
    metadata = {**info, "path": str(path), "suffix": suffix, "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(), **extra}
    return Document(doc_id=doc_id, title=title, source=str(path), text=text, metadata=metadata)


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _Skip(f"{path} is {size:,} bytes, over the limit of {max_bytes:,}; "
                        "split it into smaller files or raise max_file_bytes.")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # read no more than allowed, whatever stat said
    except OSError as exc:
        raise _Skip(f"{path} cannot be read ({exc.strerror or exc}); "
                    "check that it exists and that you may read it.") from exc
    if len(data) > max_bytes:
        raise _Skip(f"{path} is over the limit of {max_bytes:,} bytes; "
                    "split it into smaller files or raise max_file_bytes.")
    if not data:
        raise _Skip(f"{path} is empty (0 bytes); add content to it or remove it.")
    return data


def _check_is_text(path: Path, data: bytes) -> None:
    kind = content_kind(data)
    if kind is None:
        return
    fix = ("rename it to .pdf" if kind == "a PDF document" else
           "convert it to text, Markdown, HTML or PDF, or leave it out")
    raise _Skip(f"{path} is {kind} by its content, not {path.suffix.lower()} text, whatever its "
                f"name says; {fix}.")


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data:
        raise _Skip(f"{path} looks binary (it contains NUL bytes), not text; if it is "
                    "UTF-16 text re-save it as UTF-8, otherwise remove it from the corpus.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Skip(f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start}); re-save it with UTF-8 encoding.") from exc


def _pdf_text(path: Path, data: bytes, limits: PdfLimits) -> tuple[str, str, int]:
    from pypdf import PdfReader  # imported here: only PDF files pay for it

    if b"%PDF-" not in data[:1024]:
        raise _Skip(f"{path} is not a PDF (no %PDF- header); rename it or re-export it as PDF.")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _Skip(f"{path} is password-protected; save an unprotected copy.")
        pages = _pages_text(path, reader, limits)
        title = str(reader.metadata.get("/Title") or "") if reader.metadata else ""
    except _Skip:
        raise
    except Exception as exc:  # pypdf reports damage with many exception types
        raise _Skip(f"{path} cannot be read as a PDF ({type(exc).__name__}: {exc}); it may be "
                    "truncated or damaged: download or export it again.") from exc
    if not any(p.strip() for p in pages):
        raise _Skip(f"{path} has no extractable text ({len(pages)} page(s); it may be scanned "
                    "images or damaged); run OCR on it or export it again.")
    return "\n\n".join(pages), title, len(pages)


def _pages_text(path: Path, reader: Any, limits: PdfLimits) -> list[str]:
    """Each page's text, refusing before the work a page would cost is spent (its decoded
    content is measured first, in milliseconds) and when the time budget runs out."""
    count = len(reader.pages)
    if count > limits.pages:
        raise _Skip(f"{path} has {count:,} pages, over the limit of {limits.pages:,}; split it "
                    "into smaller PDFs or raise the setting max_pdf_pages.")
    started, pages = time.monotonic(), []
    for number, page in enumerate(reader.pages, start=1):
        contents = page.get_contents()
        size = 0 if contents is None else len(contents.get_data())
        if size > limits.page_bytes:
            raise _Skip(f"{path} page {number} holds {size:,} bytes of content, over the limit "
                        f"of {limits.page_bytes:,} (real pages hold about 20 KB); re-export or "
                        "print it to PDF again, or raise the setting max_pdf_page_bytes.")
        if time.monotonic() - started > limits.seconds:
            raise _Skip(f"{path} took over {limits.seconds:g} s to read ({number - 1} of {count} "
                        "pages); split it into smaller PDFs or raise the setting "
                        "max_pdf_seconds.")
        pages.append((page.extract_text() or "").strip("\n"))
    return pages


def _visible(text: str) -> bool:
    """Whether ``text`` has a character a reader can see: zero-width spaces, joiners and
    other format characters are not text to index."""
    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc", "Zs")
               for c in text)


def _shorten(text: str, limit: int = 80) -> str:
    line = next(ln.strip() for ln in text.splitlines() if ln.strip())
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
