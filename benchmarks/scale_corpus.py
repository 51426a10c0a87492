"""The scale benchmark's inputs: a large, deterministic corpus of real English prose already on
this disk, its fixed queries, and its chunks' vectors embedded once and kept.

Corpus
------
Source: the documentation that ships with the installed Python packages (the project's
``.venv``): the docstrings of every module, class and function (one article per module,
Markdown, a heading per documented object), and the ``.md``/``.rst``/``.txt`` files and the
package descriptions in ``*.dist-info/METADATA`` (one article per file). Licence texts,
tokenizer vocabularies and other non-prose files are skipped; repeated texts (inherited
docstrings, vendored copies) are kept once. Nothing is downloaded.

Articles are taken in the order of a hash of their source path (deterministic, and it mixes
packages so that a small prefix is not all one library). ``write_corpus(folder, n)`` writes
whole articles while they fit, then cuts the next one at a line boundary, then adds one-paragraph
articles, so that citebot's own load -> clean -> chunk (default settings) yields exactly ``n``
chunks. If the packages run out of text, the corpus is topped up with articles recombined from
their paragraphs by a seeded RNG (``TOPUP_SEED``); ``CorpusInfo`` says how many chunks that took.

Queries
-------
30 from corpus/questions.jsonl and 20 from the corpus: the opening words of a sentence in one
of the first 900 chunks of the 1,000-chunk corpus (present at every size), so "are those words
in a top-5 passage" checks that retrieval still finds things as the corpus grows.

Vectors
-------
Embedded once with citebot's real embedder and stored per text set (``<name>-<hash>.npy``, the
hash covers the embedder id and every text) next to the sha1 of each text (``.keys.json``), so a
smaller corpus whose chunks are a subset of a bigger one's finds its vectors there without
embedding anything. Embedding checkpoints every ``CHECKPOINT`` texts, so an interrupted run
resumes. ``.meta.json`` records how long the embedding took. The background job for the big
corpus: ``nice -n 10 .venv/bin/python benchmarks/scale_measure.py vectors 100000``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import random
import re
import sysconfig
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import common
import numpy as np

from bot.schema import Chunk, Document
from ingest.chunk import chunk_document
from ingest.clean import clean_document
from ingest.load import load_documents

if TYPE_CHECKING:
    from bot.backends.embedders import SentenceTransformerEmbedder

log = logging.getLogger("scale")

GENERATOR_VERSION = "1"
TOPUP_SEED = 7
MIN_DOC_CHARS = 80  # shorter docstrings are mostly "Return x." noise
MAX_ARTICLE_CHARS = 200_000  # a few huge files must not dominate a small prefix
_SKIP_NAMES = re.compile(r"(licen[cs]e|copying|notice|authors|record|vocab|merges|requires|"
                         r"entry_points|top_level|installer|sources|dependency_links|"
                         r"not-zip-safe|wheel)", re.IGNORECASE)
_DOC_SUFFIXES = (".md", ".rst", ".txt")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # the loader refuses NUL bytes
BENCH_DIR = common.ROOT / ".citebot" / "bench"
VECTOR_DIR = BENCH_DIR / "vectors"


def corpus_folder(size: int) -> Path:
    return BENCH_DIR / f"corpus-{size}"


def ensure_corpus(size: int) -> Path:
    """The corpus of ``size`` chunks, written first if it is not on disk yet."""
    folder = corpus_folder(size)
    if not (folder / "corpus.json").exists():
        write_manifest(folder, write_corpus(folder, size))
    return folder


def load_corpus(path: Path, chunk_size: int = 800, chunk_overlap: int = 120
                ) -> tuple[list[Document], list[Chunk]]:
    """Documents and chunks of a folder or file exactly as ``ingest.pipeline.ingest_corpus``
    makes them (default settings)."""
    docs = [clean_document(d).document for d in load_documents([path]).documents]
    chunks = [c for d in docs for c in chunk_document(d, chunk_size=chunk_size,
                                                      chunk_overlap=chunk_overlap)]
    return docs, chunks


@dataclass(frozen=True)
class Article:
    key: str  # source path relative to site-packages: the sort key and the file name seed
    title: str
    text: str  # Markdown


@dataclass(frozen=True)
class CorpusInfo:
    """What ``write_corpus`` produced: recorded in the benchmark's JSON."""

    chunks: int
    articles: int
    whole_articles: int
    topup_chunks: int
    characters: int
    fingerprint: str  # sha256 over the written files, in order
    source: str = ("docstrings and .md/.rst/.txt/METADATA documentation of the packages "
                   "installed in the project's .venv, ordered by a hash of their path")
    generator_version: str = GENERATOR_VERSION

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


@lru_cache(maxsize=4)  # listing site-packages takes seconds; tests ask several times
def candidate_paths(root: Path) -> tuple[str, ...]:
    """Every source file that may become an article, in benchmark order."""
    keys = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in rel or "/tests/" in rel or "/test/" in rel or not path.is_file():
            continue
        if path.suffix == ".py" or (path.suffix in _DOC_SUFFIXES and
                                    not _SKIP_NAMES.search(path.name)) or (
                rel.split("/")[0].endswith(".dist-info") and path.name == "METADATA"):
            keys.append(rel)
    return tuple(sorted(keys, key=lambda k: hashlib.sha256(k.encode()).hexdigest()))


def articles(root: Path | None = None) -> Iterator[Article]:
    """Articles from the installed packages, lazily, in benchmark order, repeats removed."""
    root = root or site_packages()
    seen: set[str] = set()
    for key in candidate_paths(root):
        article = _article(root / key, key, seen)
        if article is not None:
            yield article


def _article(path: Path, key: str, seen: set[str]) -> Article | None:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if path.suffix == ".py":
        parts = _docstrings(raw, key)
    elif path.name == "METADATA":
        parts = [("", raw.partition("\n\n")[2])]
    else:
        parts = [("", raw)]
    kept = []
    for heading, text in parts:
        text = text.strip()
        digest = hashlib.sha256(text.encode()).hexdigest()
        if (len(text) >= MIN_DOC_CHARS and not _CONTROL.search(text) and _is_prose(text)
                and digest not in seen):
            seen.add(digest)
            kept.append(f"## {heading}\n\n{text}" if heading else text)
    body = "\n\n".join(kept)[:MAX_ARTICLE_CHARS]
    if len(body) < 400:
        return None
    title = key.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return Article(key, title, f"# {title}\n\n{body}\n")


def _docstrings(source: str, key: str) -> list[tuple[str, str]]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = [("", ast.get_docstring(tree) or "")]
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node)
            if doc:
                found.append((node.name, doc))
    return found


def _is_prose(text: str) -> bool:
    """Mostly words separated by spaces, in lines of readable length (not data or code dumps)."""
    letters = sum(ch.isalpha() for ch in text)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return (letters > 0.6 * len(text) and text.count(" ") > 0.1 * len(text)
            and sum(len(ln) for ln in lines) / max(len(lines), 1) > 25)


# -- writing exactly n chunks -------------------------------------------------------------------
def write_corpus(folder: Path, n: int, root: Path | None = None) -> CorpusInfo:
    """Write articles into ``folder`` (emptied first) so that they chunk into exactly ``n``."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    writer = _Writer(folder)
    source = articles(root)
    pool: list[str] = []
    for article in source:
        if writer.count >= n:
            break
        pool += _paragraphs(article.text)
        writer.add_fitting(article, n)
    if writer.count < n:
        writer.top_up(pool, n)
    return writer.info()


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if 80 <= len(p.strip()) <= 700
            and not p.lstrip().startswith("#")]


class _Writer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = self.whole = self.topup = self.files = self.chars = 0
        self.digest = hashlib.sha256()

    def _write(self, title: str, text: str) -> tuple[Path, int]:
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50]
        path = self.folder / f"{self.files:06d}_{slug}.md"
        path.write_text(text, encoding="utf-8")
        return path, len(load_corpus(path)[1])

    def _keep(self, text: str, chunks: int) -> None:
        self.files += 1
        self.count += chunks
        self.chars += len(text)
        self.digest.update(text.encode())

    def add_fitting(self, article: Article, n: int) -> None:
        """The whole article if it fits, else its longest line-prefix that does, else parts."""
        path, chunks = self._write(article.title, article.text)
        if self.count + chunks <= n:
            self.whole += 1
            return self._keep(article.text, chunks)
        lines = article.text.splitlines(keepends=True)
        low, high = 1, len(lines)  # find the most lines whose chunks still fit
        while low < high:
            mid = (low + high + 1) // 2
            path.write_text("".join(lines[:mid]), encoding="utf-8")
            if self.count + len(load_corpus(path)[1]) <= n:
                low = mid
            else:
                high = mid - 1
        text = "".join(lines[:low])
        path.write_text(text, encoding="utf-8")
        got = len(load_corpus(path)[1])
        if self.count + got > n or got == 0:
            path.unlink()
        else:
            self._keep(text, got)
        for i, paragraph in enumerate(_paragraphs("".join(lines[low:]))):
            if self.count >= n:
                break
            self._add_single(f"{article.title} (part {i + 1})", paragraph)

    def _add_single(self, title: str, paragraph: str) -> None:
        text = f"# {title}\n\n{paragraph}\n"
        path, chunks = self._write(title, text)
        if chunks == 1:
            self._keep(text, chunks)
        else:
            path.unlink()

    def top_up(self, pool: list[str], n: int) -> None:
        """Recombine paragraphs into new articles with a seeded RNG until ``n`` chunks."""
        rng = random.Random(TOPUP_SEED)
        number = 0
        while self.count < n:
            if not pool:
                raise ValueError("no paragraphs to recombine: the packages hold no prose")
            number += 1
            body = "\n\n".join(rng.sample(pool, min(12, len(pool))))
            title = f"Recombined notes {number}"
            text = f"# {title}\n\n{body}\n"
            path, chunks = self._write(title, text)
            if self.count + chunks <= n:
                self._keep(text, chunks)
                self.topup += chunks
            else:
                path.unlink()
                before = self.count
                self._add_single(title, rng.choice(pool))
                self.topup += self.count - before

    def info(self) -> CorpusInfo:
        return CorpusInfo(chunks=self.count, articles=self.files, whole_articles=self.whole,
                          topup_chunks=self.topup, characters=self.chars,
                          fingerprint=self.digest.hexdigest()[:16])


def write_manifest(folder: Path, info: CorpusInfo) -> None:
    common.write_json(folder / "corpus.json", info.as_dict())


# -- queries ------------------------------------------------------------------------------------
SEED_QUESTIONS = 30
GENERATED = 20
_SENTENCE = re.compile(r"[A-Z][^.!?\n]{40,200}[.!?]")


@dataclass(frozen=True)
class Query:
    text: str
    chunk_id: str | None = None  # the chunk a generated query was taken from

    def found_in(self, passage_text: str) -> bool:
        """Whether a passage holds the words this query was taken from (any copy counts)."""
        return self.text in " ".join(passage_text.split())


def bench_queries() -> list[Query]:
    queries = [Query(q.question) for q in common.question_set() if not q.history]
    queries = queries[:SEED_QUESTIONS]
    _, chunks = load_corpus(ensure_corpus(1000))
    pool = chunks[:900]
    step = len(pool) // GENERATED
    for first in range(0, step * GENERATED, step):
        for chunk in pool[first:first + step]:  # the first chunk of each stretch with a sentence
            found = _SENTENCE.search(chunk.text)
            text = " ".join(found.group(0).split()[:12]) if found else ""
            if text and all(q.text != text for q in queries):
                queries.append(Query(text, chunk.chunk_id))
                break
    return queries


# -- vectors ------------------------------------------------------------------------------------
CHECKPOINT = 512  # texts per embed call: enough for sentence-transformers' length sorting
SURROGATE_SEED = 11
SURROGATE_NOISE = 0.05  # per coordinate: cosine ~0.7 to the real vector it is derived from


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def set_name(texts: Sequence[str], embedder_id: str, label: str) -> str:
    digest = hashlib.sha256(embedder_id.encode())
    for text in texts:
        digest.update(text_key(text).encode())
    return f"{label}-{len(texts)}-{digest.hexdigest()[:12]}"


@dataclass(frozen=True)
class Vectors:
    array: np.ndarray
    embedded_now: int  # texts this call embedded
    seconds_now: float
    surrogate: int  # texts given a surrogate vector instead (embed=False, not cached yet)
    meta: dict[str, Any]  # how the stored set was embedded (texts, seconds, batch)


def cached_vectors(texts: Sequence[str], embedder: SentenceTransformerEmbedder, label: str,
                   folder: Path = VECTOR_DIR, *, embed: bool = True) -> Vectors:
    """Vectors for ``texts`` from the cache; missing ones are embedded and the set stored.

    With ``embed=False`` missing ones get surrogate vectors instead (see ``surrogates``) and
    nothing is stored: for measuring storage and search cost before the embedding is done."""
    folder.mkdir(parents=True, exist_ok=True)
    name = set_name(texts, embedder.model_id, label)
    final = folder / f"{name}.npy"
    if final.exists():
        meta = json.loads((folder / f"{name}.meta.json").read_text())
        return Vectors(np.load(final), 0, 0.0, 0, meta)
    found = _lookup(texts, folder)
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    missing = []
    for i, text in enumerate(texts):
        row = found.get(text_key(text))
        if row is None:
            missing.append(i)
        else:
            vectors[i] = row
    if not embed:
        surrogates(vectors, missing)
        return Vectors(vectors, 0, 0.0, len(missing), {"texts": len(texts),
                                                        "real": len(texts) - len(missing)})
    seconds = _embed_missing(texts, missing, vectors, folder / name, embedder)
    _save(final, vectors)
    meta = {"texts": len(texts), "embedded": len(missing), "seconds": round(seconds, 2),
            "batch": CHECKPOINT, "embedder": embedder.model_id, "label": label,
            "chunks_per_s": round(len(missing) / seconds, 2) if seconds else None}
    common.write_json(folder / f"{name}.meta.json", meta)
    _save_keys(folder / f"{name}.keys.json", [text_key(t) for t in texts])
    for leftover in (".npy", ".keys.json"):
        (folder / f"{name}.partial{leftover}").unlink(missing_ok=True)
    return Vectors(vectors, len(missing), seconds, 0, meta)


def surrogates(vectors: np.ndarray, missing: list[int]) -> None:
    """Fill ``vectors[missing]`` with real vectors of other rows plus seeded noise, normalised:
    the same dimension and a similar, clustered spread, so Chroma's index does similar work."""
    real = np.setdiff1d(np.arange(len(vectors)), missing)
    if not missing:
        return
    rng = np.random.default_rng(SURROGATE_SEED)
    source = (vectors[real[np.arange(len(missing)) * 7919 % len(real)]] if len(real)
              else np.zeros((len(missing), vectors.shape[1]), dtype=np.float32))
    noisy = source + rng.normal(0.0, SURROGATE_NOISE, source.shape).astype(np.float32)
    vectors[missing] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def _embed_missing(texts: Sequence[str], missing: list[int], vectors: np.ndarray,
                   name: Path, embedder: SentenceTransformerEmbedder) -> float:
    """Embed ``texts[missing]`` into ``vectors``; every ``CHECKPOINT`` texts the vectors done
    so far (with those of earlier, interrupted runs) are saved, so a new run resumes there.
    Returns the seconds spent embedding in this call (earlier runs' time: in their log)."""
    keys_path = name.with_name(name.name + ".partial.keys.json")
    rows_path = name.with_name(name.name + ".partial.npy")
    keys = json.loads(keys_path.read_text()) if keys_path.exists() else []
    rows = [np.load(rows_path)[:len(keys)]] if keys else []
    seconds = 0.0
    for start in range(0, len(missing), CHECKPOINT):
        batch = missing[start:start + CHECKPOINT]
        began = time.perf_counter()
        vectors[batch] = np.asarray(embedder.embed_documents([texts[i] for i in batch]))
        seconds += time.perf_counter() - began
        rows.append(vectors[batch])
        keys += [text_key(texts[i]) for i in batch]
        _save(rows_path, np.concatenate(rows))  # rows first: a reader takes len(keys) of them
        _save_keys(keys_path, keys)
        log.info("embedded %d/%d (%.1f chunks/s)", start + len(batch), len(missing),
                 (start + len(batch)) / seconds)
    return seconds


def _save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as out:
        np.save(out, array)
    tmp.replace(path)  # atomic: a reader never sees half a file


def _save_keys(path: Path, keys: list[str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(keys))
    tmp.replace(path)


def _lookup(texts: Sequence[str], folder: Path) -> dict[str, np.ndarray]:
    """Stored vectors of any of ``texts``, by text key, from every set on disk (complete ones
    and the checkpoints of unfinished ones)."""
    wanted = {text_key(t) for t in texts}
    found: dict[str, np.ndarray] = {}
    for keys_file in sorted(folder.glob("*.keys.json")):
        keys = json.loads(keys_file.read_text())
        hits = [(i, k) for i, k in enumerate(keys) if k in wanted and k not in found]
        if hits:
            array = np.load(keys_file.with_name(keys_file.name.replace(".keys.json", ".npy")),
                            mmap_mode="r")
            found.update({k: np.asarray(array[i]) for i, k in hits})
    return found


def corpus_vectors(size: int, embedder: SentenceTransformerEmbedder, *, embed: bool = True
                   ) -> tuple[list[Document], list[Chunk], Vectors, Vectors]:
    """The corpus of ``size`` chunks with its chunk vectors and document-title vectors."""
    from ingest.pipeline import embedding_text

    docs, chunks = load_corpus(ensure_corpus(size))
    chunk_vectors = cached_vectors([embedding_text(c) for c in chunks], embedder, "chunks",
                                   embed=embed)
    title_vectors = cached_vectors([d.title for d in docs], embedder, "titles", embed=embed)
    return docs, chunks, chunk_vectors, title_vectors
