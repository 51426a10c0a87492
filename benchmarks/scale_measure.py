"""One measurement of the scale benchmark, run in a fresh process so its memory is its own
(benchmarks/scale.py runs each), and the vector cache's own job.

    .venv/bin/python benchmarks/scale_measure.py store SIZE embedded|server [--surrogate] OUT
    .venv/bin/python benchmarks/scale_measure.py pipeline SIZE OUT
    .venv/bin/python benchmarks/scale_measure.py embedder SIZE OUT
    nice -n 10 .venv/bin/python benchmarks/scale_measure.py vectors SIZE

``store``: write the corpus (cached vectors) through citebot's Store API in the pipeline's
batches, then query it through citebot's Bot/Retriever; with ``--surrogate``, chunks whose
vectors are not cached yet get surrogate vectors (scale_corpus.py ``surrogates``).
``pipeline``: the real ``ingest_corpus`` end to end. ``embedder``: the embedder alone on the
corpus' chunks. ``vectors``: embed the corpus' chunks into the cache (resumes a checkpoint).
"""

from __future__ import annotations

import argparse
import gc
import logging
import shutil
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common
from scale_corpus import BENCH_DIR, Query, bench_queries, corpus_folder, corpus_vectors, load_corpus

from bot.api import Bot
from bot.backends.embedders import make_embedder
from bot.errors import StoreError
from bot.evaluate import percentile
from bot.settings import Settings
from bot.store import IndexInfo, Store, connect
from ingest.pipeline import _stored_metadata, doc_key, embedding_text, ingest_corpus

STORES = BENCH_DIR / "stores"
COLLECTION = "scalebench"
PIPELINE_BATCH = 64  # ingest.pipeline._embed_and_add writes 64 chunks per add_chunks call
WARMUP = 3
# Documents are written 100 at a time, as when the figures in docs/perf/scale.md were taken
# (Store.put_documents then sent all of them in one upsert, which Chroma refused past 5,461).
DOCS_BATCH = 100


def settings_for(data_dir: Path, corpus: Path, port: int | None = None) -> Settings:
    """Default settings (chunk_size 800) on the benchmark corpus."""
    server = {"chroma_host": "127.0.0.1", "chroma_port": port} if port else {}
    return common.isolated_settings(data_dir, corpus=(corpus,), collection=COLLECTION, **server)


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def latency(samples: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {"p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2),
            "mean_ms": round(statistics.fmean(ms), 2), "n": len(ms)}


# -- writing through the Store API ---------------------------------------------------------------
def write_store(settings: Settings, size: int, surrogate: bool) -> dict[str, Any]:
    """Store the corpus with its cached vectors the way ingest_corpus does, timing each step."""
    embedder = make_embedder(settings.embedder)
    docs, chunks, vectors, titles = corpus_vectors(size, embedder, embed=not surrogate)
    by_doc: dict[str, list[Any]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    keys = {d.doc_id: doc_key(d) for d in docs}
    metas = _stored_metadata(docs, by_doc, keys)
    title_rows = {d.title: titles.array[i] for i, d in enumerate(docs)}
    client, connect_s = common.timed(lambda: connect(settings))
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
    live, promote_s = common.timed(store.promote)
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
        vector, seconds = common.timed(lambda q=q: embedder.embed_query(q.text))
        embed.append(seconds)
        dense.append(common.timed(lambda v=vector: bot.store.query(v, 20))[1])
    out: dict[str, Any] = {"query_embedding": latency(embed),
                           "dense_chroma_k20": latency(dense)}
    try:
        out.update(_hybrid(bot, queries))
    except StoreError as exc:
        out["retrieval_error"] = str(exc)
    out["rss_after_queries_mb"] = common.rss_mb()
    return out


def _hybrid(bot: Bot, queries: list[Query]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _, fetch_s = common.timed(bot.store.all_chunks)
    out["fetch_all_chunks_s"] = round(fetch_s, 2)
    gc.collect()
    out["rss_before_bm25_mb"] = common.rss_mb()
    keywords, build_s = common.timed(lambda: bot.retriever.keywords)
    out["bm25_build_s"] = round(build_s, 2)
    out["rss_after_bm25_mb"] = common.rss_mb()
    out["bm25_mb"] = round(out["rss_after_bm25_mb"] - out["rss_before_bm25_mb"], 1)
    for q in queries[:WARMUP]:
        bot.retrieve(q.text, k=5)
    hybrid, bm25, hits = [], [], []
    for q in queries:
        passages, seconds = common.timed(lambda q=q: bot.retrieve(q.text, k=5))
        hybrid.append(seconds)
        bm25.append(common.timed(lambda q=q: keywords.scores(q.text))[1])
        if q.chunk_id:
            hits.append(any(q.found_in(p.text) for p in passages))
    out.update({"hybrid": latency(hybrid), "bm25_scores": latency(bm25),
                "generated_query_hit5": round(sum(hits) / len(hits), 3) if hits else None})
    return out


def measure_store(size: int, mode: str, surrogate: bool) -> dict[str, Any]:
    folder = STORES / f"{mode}-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    queries = bench_queries()
    if mode == "embedded":
        return _measure_store(size, mode, surrogate, folder, queries)
    with common.chroma_server(folder / "server") as (server, port):
        return _measure_store(size, mode, surrogate, folder, queries, server.pid, port)


def _measure_store(size: int, mode: str, surrogate: bool, folder: Path, queries: list[Query],
                   server: int | None = None, port: int | None = None) -> dict[str, Any]:
    settings = settings_for(folder / "data", corpus_folder(size), port)
    result: dict[str, Any] = {"size": size, "mode": mode, "rss_start_mb": common.rss_mb()}
    result.update(write_store(settings, size, surrogate))
    gc.collect()
    result["rss_after_write_mb"] = common.rss_mb()
    if server:
        result["server_rss_after_write_mb"] = common.rss_mb(server, tree=True)
    result.update(query_store(settings, queries))
    result["disk_mb"] = disk_mb(folder / "server" if server else settings.chroma_path)
    if server:
        result["server_rss_after_queries_mb"] = common.rss_mb(server, tree=True)
    result["peak_rss_mb"] = common.peak_rss_mb()
    return result


def measure_pipeline(size: int) -> dict[str, Any]:
    folder = STORES / f"pipeline-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    settings = settings_for(folder / "data", corpus_folder(size))
    report, seconds = common.timed(lambda: ingest_corpus(settings))
    return {"size": size, "mode": "embedded", "chunks": report.chunks,
            "documents": report.documents, "pipeline_s": round(seconds, 2),
            "pipeline_chunks_per_s": round(report.chunks / seconds, 2),
            "disk_mb": disk_mb(settings.chroma_path), "peak_rss_mb": common.peak_rss_mb()}


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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    kinds = parser.add_subparsers(dest="kind", required=True)
    store = kinds.add_parser("store", help="write and query one store")
    store.add_argument("size", type=int)
    store.add_argument("mode", choices=["embedded", "server"])
    store.add_argument("--surrogate", action="store_true",
                       help="surrogate vectors for the chunks not embedded yet")
    for name, text in (("pipeline", "the real ingest_corpus end to end"),
                       ("embedder", "the embedder alone")):
        kinds.add_parser(name, help=text).add_argument("size", type=int)
    kinds.add_parser("vectors", help="embed the corpus into the vector cache").add_argument(
        "size", type=int)
    for kind in ("store", "pipeline", "embedder"):
        kinds.choices[kind].add_argument("out", type=Path, help="the result, as JSON")
    args = parser.parse_args(argv)
    if args.kind == "vectors":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        docs, chunks, vectors, titles = corpus_vectors(args.size, make_embedder("minilm"))
        logging.info("done: %d docs, %d chunks; chunks %s; titles %s", len(docs), len(chunks),
                     vectors.meta, titles.meta)
        return
    if args.kind == "store":
        result = measure_store(args.size, args.mode, args.surrogate)
    elif args.kind == "pipeline":
        result = measure_pipeline(args.size)
    else:
        result = measure_embedder(args.size)
    common.write_json(args.out, result)


if __name__ == "__main__":
    main()
