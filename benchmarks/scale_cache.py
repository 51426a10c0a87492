"""Embed benchmark texts once with citebot's real embedder and keep the vectors on disk.

Vectors are stored per text set (``<name>-<hash>.npy``, the hash covers the embedder id and
every text) next to the sha1 of each text (``.keys.json``), so a smaller corpus whose chunks are
a subset of a bigger one's finds its vectors there without embedding anything. Embedding
checkpoints every ``CHECKPOINT`` texts, so an interrupted run resumes. ``.meta.json`` records how
long the embedding took, for the benchmark's "embedder alone" figure.

    .venv/bin/python -m benchmarks.scale_cache --size 100000   # the background job
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.backends.embedders import SentenceTransformerEmbedder, make_embedder
from bot.schema import Chunk, Document
from ingest.chunk import chunk_document
from ingest.clean import clean_document
from ingest.load import load_documents
from ingest.pipeline import embedding_text

log = logging.getLogger("scale_cache")

BENCH_DIR = Path(".citebot/bench")
VECTOR_DIR = BENCH_DIR / "vectors"
CHECKPOINT = 512  # texts per embed call: enough for sentence-transformers' length sorting
SURROGATE_SEED = 11
SURROGATE_NOISE = 0.05  # per coordinate: cosine ~0.7 to the real vector it is derived from


def corpus_folder(size: int) -> Path:
    return BENCH_DIR / f"corpus-{size}"


def load_corpus(folder: Path, chunk_size: int = 800, chunk_overlap: int = 120
                ) -> tuple[list[Document], list[Chunk]]:
    """Documents and chunks exactly as ``ingest.pipeline.ingest_corpus`` makes them."""
    loaded = load_documents([folder])
    docs = [clean_document(d).document for d in loaded.documents]
    chunks = [c for d in docs for c in chunk_document(d, chunk_size=chunk_size,
                                                      chunk_overlap=chunk_overlap)]
    return docs, chunks


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
    (folder / f"{name}.meta.json").write_text(json.dumps(meta, indent=2))
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
    docs, chunks = load_corpus(corpus_folder(size))
    chunk_vectors = cached_vectors([embedding_text(c) for c in chunks], embedder, "chunks",
                                   embed=embed)
    title_vectors = cached_vectors([d.title for d in docs], embedder, "titles", embed=embed)
    return docs, chunks, chunk_vectors, title_vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    docs, chunks, vectors, titles = corpus_vectors(args.size, make_embedder("minilm"))
    log.info("done: %d docs, %d chunks; chunks %s; titles %s", len(docs), len(chunks),
             vectors.meta, titles.meta)


if __name__ == "__main__":
    main()
