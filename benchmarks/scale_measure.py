"""One measurement of the scale benchmark, run in a fresh process so its memory is its own.

    python -m benchmarks.scale_measure store SIZE embedded|server [--surrogate] RESULT.json
    python -m benchmarks.scale_measure pipeline SIZE RESULT.json
    python -m benchmarks.scale_measure embedder SIZE RESULT.json

``store``: write the corpus (cached vectors) through citebot's Store API in the pipeline's
batches, then query it through citebot's Bot/Retriever; with ``--surrogate``, chunks whose
vectors are not cached yet get surrogate vectors (scale_cache.py ``surrogates``).
``pipeline``: the real ``ingest_corpus`` end to end. ``embedder``: the embedder alone on the
corpus' chunks.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: 2 shared cores
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx
import numpy as np
import psutil

from benchmarks.scale_cache import BENCH_DIR, corpus_folder, corpus_vectors, load_corpus
from benchmarks.scale_queries import Query, bench_queries
from bot.api import Bot
from bot.backends.embedders import make_embedder
from bot.errors import StoreError
from bot.settings import Settings, load_settings
from bot.store import IndexInfo, Store, connect
from ingest.pipeline import _doc_key, _stored_metadata, embedding_text, ingest_corpus

STORES = BENCH_DIR / "stores"
COLLECTION = "scalebench"
PIPELINE_BATCH = 64  # ingest.pipeline._embed_and_add writes 64 chunks per add_chunks call
WARMUP = 3
# Store.put_documents sends all documents (full texts) in one upsert; embedded Chroma refuses
# batches over 5,461 (the 100k corpus has 8,778 documents) and the server refuses large payloads
# ("Payload too large"): ingest_corpus fails the same way. Batched here.
DOCS_BATCH = 100


def settings_for(data_dir: Path, corpus: Path, port: int | None = None) -> Settings:
    """Default settings (chunk_size 800), isolated from citebot.toml and CITEBOT_* env."""
    empty = BENCH_DIR / "empty.toml"
    empty.write_text("")
    values: dict[str, Any] = {"data_dir": data_dir, "corpus": (corpus,),
                              "collection": COLLECTION}
    if port:
        values.update(chroma_host="127.0.0.1", chroma_port=port)
    return load_settings(values, environ={}, config_file=empty)


def rss_mb(pid: int | None = None) -> float:
    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)] if pid else [proc]
    return round(sum(p.memory_info().rss for p in procs) / 2**20, 1)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    ms = np.asarray(samples) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "mean_ms": round(float(ms.mean()), 2), "n": len(ms)}


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - began


# -- the chroma server ---------------------------------------------------------------------------
def start_server(path: Path, port: int) -> subprocess.Popen[bytes]:
    """``chroma run`` on loopback, as tests/test_store_server.py starts it."""
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).raise_for_status()
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"chroma run on port {port} did not start within 90 s")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- writing through the Store API ---------------------------------------------------------------
def write_store(settings: Settings, size: int, surrogate: bool) -> dict[str, Any]:
    """Store the corpus with its cached vectors the way ingest_corpus does, timing each step."""
    embedder = make_embedder(settings.embedder)
    docs, chunks, vectors, titles = corpus_vectors(size, embedder, embed=not surrogate)
    by_doc: dict[str, list[Any]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    keys = {d.doc_id: _doc_key(d) for d in docs}
    metas = _stored_metadata(docs, by_doc, keys)
    title_rows = {d.title: titles.array[i] for i, d in enumerate(docs)}
    client, connect_s = timed(lambda: connect(settings))
    began = time.perf_counter()
    store = Store(client, settings.collection,
                  IndexInfo.from_settings(settings, embedder), staging=True).open(create=True)
    pairs = [(keys[d.doc_id], d) for d in docs]
    for start in range(0, len(pairs), DOCS_BATCH):  # see DOCS_BATCH
        store.put_documents(pairs[start:start + DOCS_BATCH],
                            lambda names: [title_rows[n] for n in names])
    docs_s = time.perf_counter() - began
    for start in range(0, len(chunks), PIPELINE_BATCH):
        store.add_chunks(chunks[start:start + PIPELINE_BATCH],
                         vectors.array[start:start + PIPELINE_BATCH], metas)
    chunks_s = time.perf_counter() - began - docs_s
    live, promote_s = timed(store.promote)
    total = time.perf_counter() - began
    return {"documents": len(docs), "chunks": live.count(), "connect_s": round(connect_s, 2),
            "write_docs_s": round(docs_s, 2),
            "write_chunks_s": round(chunks_s, 2), "promote_s": round(promote_s, 3),
            "store_write_s": round(total, 2), "store_write_chunks_per_s": round(size / total, 1),
            "vectors_embedded_now": vectors.embedded_now + titles.embedded_now,
            "vectors_surrogate": vectors.surrogate, "vectors_real": size - vectors.surrogate}


def query_store(settings: Settings, queries: list[Query]) -> dict[str, Any]:
    """Dense search alone, then the BM25 build and hybrid retrieval through Bot.retrieve.
    A failure of the latter (e.g. Chroma refusing to return every chunk at once) is recorded,
    not raised, so the figures that could be taken are kept."""
    bot = Bot(settings)
    embedder = bot.embedder
    embedder.embed_query("warm up the model")
    dense, embed = [], []
    for q in queries:
        vector, seconds = timed(lambda q=q: embedder.embed_query(q.text))
        embed.append(seconds)
        dense.append(timed(lambda v=vector: bot.store.query(v, 20))[1])
    out: dict[str, Any] = {"query_embedding": percentiles(embed),
                           "dense_chroma_k20": percentiles(dense)}
    try:
        out.update(_hybrid(bot, queries))
    except StoreError as exc:
        out["retrieval_error"] = str(exc)
    out["rss_after_queries_mb"] = rss_mb()
    return out


def _hybrid(bot: Bot, queries: list[Query]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _, fetch_s = timed(bot.store.all_chunks)
    out["fetch_all_chunks_s"] = round(fetch_s, 2)
    gc.collect()
    out["rss_before_bm25_mb"] = rss_mb()
    keywords, build_s = timed(lambda: bot.retriever.keywords)
    out["bm25_build_s"] = round(build_s, 2)
    out["rss_after_bm25_mb"] = rss_mb()
    out["bm25_mb"] = round(out["rss_after_bm25_mb"] - out["rss_before_bm25_mb"], 1)
    for q in queries[:WARMUP]:
        bot.retrieve(q.text, k=5)
    hybrid, bm25, hits = [], [], []
    for q in queries:
        passages, seconds = timed(lambda q=q: bot.retrieve(q.text, k=5))
        hybrid.append(seconds)
        bm25.append(timed(lambda q=q: keywords.scores(q.text))[1])
        if q.chunk_id:
            hits.append(any(q.found_in(p.text) for p in passages))
    out.update({"hybrid": percentiles(hybrid), "bm25_scores": percentiles(bm25),
                "generated_query_hit5": round(sum(hits) / len(hits), 3) if hits else None})
    return out


def measure_store(size: int, mode: str, surrogate: bool) -> dict[str, Any]:
    folder = STORES / f"{mode}-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    queries = bench_queries()
    server = None
    port = free_port() if mode == "server" else None
    if port:
        server = start_server(folder / "server", port)
    try:
        settings = settings_for(folder / "data", corpus_folder(size), port)
        result: dict[str, Any] = {"size": size, "mode": mode, "rss_start_mb": rss_mb()}
        result.update(write_store(settings, size, surrogate))
        gc.collect()
        result["rss_after_write_mb"] = rss_mb()
        if server:
            result["server_rss_after_write_mb"] = rss_mb(server.pid)
        result.update(query_store(settings, queries))
        store_dir = folder / "server" if server else settings.chroma_path
        result["disk_mb"] = disk_mb(store_dir)
        if server:
            result["server_rss_after_queries_mb"] = rss_mb(server.pid)
        result["peak_rss_mb"] = peak_rss_mb()
        return result
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)


def measure_pipeline(size: int) -> dict[str, Any]:
    folder = STORES / f"pipeline-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    settings = settings_for(folder / "data", corpus_folder(size))
    report, seconds = timed(lambda: ingest_corpus(settings))
    return {"size": size, "mode": "embedded", "chunks": report.chunks,
            "documents": report.documents, "pipeline_s": round(seconds, 2),
            "pipeline_chunks_per_s": round(report.chunks / seconds, 2),
            "disk_mb": disk_mb(settings.chroma_path), "peak_rss_mb": peak_rss_mb()}


def measure_embedder(size: int) -> dict[str, Any]:
    """The embedder alone on the corpus' chunk texts, in the pipeline's calls of 64."""
    embedder = make_embedder("minilm")
    embedder.embed_query("warm up the model")
    _, chunks = load_corpus(corpus_folder(size))
    texts = [embedding_text(c) for c in chunks]
    began = time.perf_counter()
    for start in range(0, len(texts), PIPELINE_BATCH):
        embedder.embed_documents(texts[start:start + PIPELINE_BATCH])
    seconds = time.perf_counter() - began
    return {"size": size, "embed_s": round(seconds, 2),
            "embed_chunks_per_s": round(len(texts) / seconds, 2), "batch": PIPELINE_BATCH}


def main(argv: list[str]) -> None:
    kind, size = argv[0], int(argv[1])
    if kind == "store":
        result = measure_store(size, argv[2], "--surrogate" in argv)
    elif kind == "pipeline":
        result = measure_pipeline(size)
    else:
        result = measure_embedder(size)
    Path(argv[-1]).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
