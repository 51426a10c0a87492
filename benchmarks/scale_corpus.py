"""A large, deterministic benchmark corpus made of real English prose already on this disk.

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
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re
import sysconfig
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from bot.schema import Chunk
from ingest.chunk import chunk_document
from ingest.clean import clean_document
from ingest.load import load_documents

GENERATOR_VERSION = "1"
TOPUP_SEED = 7
MIN_DOC_CHARS = 80  # shorter docstrings are mostly "Return x." noise
MAX_ARTICLE_CHARS = 200_000  # a few huge files must not dominate a small prefix
_SKIP_NAMES = re.compile(r"(licen[cs]e|copying|notice|authors|record|vocab|merges|requires|"
                         r"entry_points|top_level|installer|sources|dependency_links|"
                         r"not-zip-safe|wheel)", re.IGNORECASE)
_DOC_SUFFIXES = (".md", ".rst", ".txt")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # the loader refuses NUL bytes


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
def chunk_file(path: Path, chunk_size: int = 800, chunk_overlap: int = 120) -> list[Chunk]:
    """Chunks of one file exactly as the ingestion pipeline makes them."""
    loaded = load_documents([path])
    return [c for d in loaded.documents for c in
            chunk_document(clean_document(d).document, chunk_size=chunk_size,
                           chunk_overlap=chunk_overlap)]


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
        return path, len(chunk_file(path))

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
            if self.count + len(chunk_file(path)) <= n:
                low = mid
            else:
                high = mid - 1
        text = "".join(lines[:low])
        path.write_text(text, encoding="utf-8")
        got = len(chunk_file(path))
        if self.count + got > n or got == 0:
            path.unlink()
        else:
            self._keep(text, got)
        rest = [p for p in _paragraphs("".join(lines[low:]))]
        for i, paragraph in enumerate(rest):
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
    (folder / "corpus.json").write_text(json.dumps(info.as_dict(), indent=2))
