"""How citebot's cost grows with the corpus: 1,000, 10,000 and 100,000 chunks, embedded Chroma
and a `chroma run` server on loopback.

    nice -n 10 .venv/bin/python benchmarks/scale.py --sizes 1000 10000 100000 \
        --modes embedded server

Three files: this one runs the measurements and writes the table, scale.md and scale.png;
scale_corpus.py makes the inputs (corpus, queries, cached vectors); scale_measure.py takes
each measurement in a process of its own.

Corpus (benchmarks/scale_corpus.py): real English prose already on this disk, the docstrings
and .md/.rst/.txt/METADATA documentation of the packages installed in .venv, one Markdown
article per module or file, ordered by a hash of the path, written to .citebot/bench/corpus-N
so that citebot's own load -> clean -> chunk (default chunk_size 800) yields exactly N chunks.
The smaller corpora are prefixes of the larger ones (the last article cut to fit); a seeded
top-up of recombined paragraphs is used only if the packages run out (see the JSON).

How each figure is measured (each measurement in its own process, so RSS is its own):
- embedder alone: all-MiniLM-L6-v2 (bot/backends/embedders.py) on the chunks of the smallest
  corpus, 64 texts per call as the pipeline does; this run.
- vectors: every size's chunk and title vectors are embedded once by the same embedder and
  cached in .citebot/bench/vectors (benchmarks/scale_corpus.py); 1k and 10k reuse the 100k ones.
- store write: the cached vectors written through citebot's Store API (put_documents,
  add_chunks in batches of 64, promote) into a fresh index; measured per mode.
- ingestion (estimated) = chunks / embedder-alone chunks/s + store write (measured).
- pipeline: the real ingest.pipeline.ingest_corpus end to end (embedded store), measured at
  --pipeline-sizes, to validate the estimate.
- queries: 50 fixed queries (benchmarks/scale_corpus.py), 3 warm-up queries first; hybrid =
  Bot.retrieve(k=5) (query embedding + Chroma + BM25 + fusion); also the query embedding
  alone, Store.query(k=20) alone (Chroma's dense search) and the BM25 scoring alone.
- BM25 (keyword index) build: the first access of Retriever.keywords (fetch every chunk from
  Chroma + bm25s index), timed once; its memory is the RSS growth across it.
- disk: bytes under the Chroma folder (embedded) or the server's --path.
- RSS: psutil, this benchmark's process after the queries (includes the embedder model and
  the BM25 index), and for the server mode the `chroma run` process tree.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common
from scale_corpus import BENCH_DIR, VECTOR_DIR, ensure_corpus

MEASURE = str(Path(__file__).with_name("scale_measure.py"))


def child(*args: str, resume: bool = False) -> dict[str, Any]:
    """Run one measurement of benchmarks/scale_measure.py in a fresh process; its result is
    kept in .citebot/bench/results, and reused from there with ``resume``."""
    kept = BENCH_DIR / "results" / ("-".join(args) + ".json")
    if resume and kept.exists():
        print(f"  {' '.join(args)}: reused {kept}", flush=True)
        return dict(json.loads(kept.read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        _, seconds = common.timed(lambda: subprocess.run(
            [sys.executable, MEASURE, *args, str(out)], cwd=common.ROOT, check=True))
        result: dict[str, Any] = json.loads(out.read_text())
    result["process_s"] = round(seconds, 1)
    print(f"  {' '.join(args)}: {result['process_s']} s", flush=True)
    common.write_json(kept, result)
    return result


def cache_vectors(size: int, surrogate: bool) -> dict[str, Any]:
    """Make sure the corpus' vectors are cached (embedding them if not); their record."""
    if not surrogate:
        subprocess.run([sys.executable, MEASURE, "vectors", str(size)], cwd=common.ROOT,
                       check=True)
    metas = [json.loads(p.read_text()) for p in VECTOR_DIR.glob("chunks-*.meta.json")]
    full = [m for m in metas if m["embedded"] >= 0.9 * m["texts"]]
    return max(full, key=lambda m: m["texts"]) if full else {}


def corpus_info(size: int) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((ensure_corpus(size) / "corpus.json").read_text())
    return info


def run(sizes: list[int], modes: list[str], pipeline_sizes: list[int], surrogate: bool,
        resume: bool = False) -> dict[str, Any]:
    began = time.perf_counter()
    machine = common.machine()
    corpora = {size: corpus_info(size) for size in sizes}
    print("corpora ready; caching vectors", flush=True)
    cached = {size: cache_vectors(size, surrogate) for size in sizes}
    print("measuring", flush=True)
    extra = ["--surrogate"] if surrogate else []
    stores = [child("store", str(s), mode, *extra, resume=resume) for s in sizes
              for mode in modes]
    embedder = child("embedder", str(min(sizes)), resume=resume)
    pipeline = [child("pipeline", str(s), resume=resume) for s in pipeline_sizes if s in sizes]
    return {
        "command": "nice -n 10 " + common.command_line(),
        "machine": {**machine, "load_average_at_end": common.load_average()},
        "method": (__doc__ or "").split("How each figure is measured")[1].strip(),
        "corpus": {str(s): corpora[s] for s in sizes},
        "vector_cache": {str(s): cached[s] for s in sizes},
        "embedder_alone": embedder,
        "pipeline": pipeline,
        "stores": stores,
        "rows": rows_for(stores, embedder, pipeline),
        "run_seconds": round(time.perf_counter() - began, 1),
    }


# -- the report ----------------------------------------------------------------------------------
COLUMNS = [  # (key, header, format)
    ("size", "chunks", "{:,}"),
    ("mode", "store", "{}"),
    ("ingest_est_s", "ingest s (est)", "{:.0f}"),
    ("ingest_est_cps", "ingest ch/s (est)", "{:.1f}"),
    ("pipeline_s", "pipeline s", "{:.0f}"),
    ("pipeline_cps", "pipeline ch/s", "{:.1f}"),
    ("store_write_s", "store write s", "{:.1f}"),
    ("store_write_cps", "write ch/s", "{:.0f}"),
    ("disk_mb", "disk MB", "{:.1f}"),
    ("hybrid_p50", "hybrid p50 ms", "{:.1f}"),
    ("hybrid_p95", "hybrid p95 ms", "{:.1f}"),
    ("dense_p50", "dense p50 ms", "{:.1f}"),
    ("dense_p95", "dense p95 ms", "{:.1f}"),
    ("embed_q_p50", "q-embed p50 ms", "{:.1f}"),
    ("bm25_p50", "bm25 p50 ms", "{:.1f}"),
    ("bm25_build_s", "bm25 build s", "{:.1f}"),
    ("bm25_mb", "bm25 MB", "{:.0f}"),
    ("rss_mb", "RSS MB", "{:.0f}"),
    ("server_rss_mb", "server RSS MB", "{:.0f}"),
    ("hit5", "gen. hit@5", "{:.2f}"),
    ("real_vectors", "real vectors", "{:.0%}"),
]
SURROGATE_NOTE = (
    "Where *real vectors* is below 100%, the chunks not embedded yet (the 100k embedding takes "
    "hours on this shared machine) were stored with surrogate vectors: the real MiniLM vector "
    "of another chunk plus seeded Gaussian noise, normalised (benchmarks/scale_corpus.py "
    "`surrogates`). Storage, index and search cost depend on the count and dimension of the "
    "vectors, not on which text they came from, but *gen. hit@5* is then only indicative. "
    "Resume the embedding with `nice -n 10 .venv/bin/python benchmarks/scale_measure.py vectors "
    "100000` (it continues from its checkpoint) and re-run without `--allow-surrogate`.")


def rows_for(stores: list[dict[str, Any]], embedder: dict[str, Any],
             pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (size, store mode): measured figures plus the estimated ingestion."""
    rate = embedder["embed_chunks_per_s"]
    runs = {p["size"]: p for p in pipeline}
    rows = []
    for s in stores:
        ingest = s["size"] / rate + s["store_write_s"]
        run = runs.get(s["size"]) if s["mode"] == "embedded" else None
        rows.append({
            "size": s["size"], "mode": s["mode"], "embed_est_s": round(s["size"] / rate, 1),
            "ingest_est_s": round(ingest, 1), "ingest_est_cps": round(s["size"] / ingest, 2),
            "pipeline_s": run["pipeline_s"] if run else None,
            "pipeline_cps": run["pipeline_chunks_per_s"] if run else None,
            "store_write_s": s["store_write_s"], "store_write_cps": s["store_write_chunks_per_s"],
            "disk_mb": s["disk_mb"],
            "hybrid_p50": s.get("hybrid", {}).get("p50_ms"),
            "hybrid_p95": s.get("hybrid", {}).get("p95_ms"),
            "dense_p50": s["dense_chroma_k20"]["p50_ms"],
            "dense_p95": s["dense_chroma_k20"]["p95_ms"],
            "embed_q_p50": s["query_embedding"]["p50_ms"],
            "bm25_p50": s.get("bm25_scores", {}).get("p50_ms"),
            "bm25_build_s": s.get("bm25_build_s"), "bm25_mb": s.get("bm25_mb"),
            "rss_mb": s["rss_after_queries_mb"],
            "server_rss_mb": s.get("server_rss_after_queries_mb"),
            "hit5": s.get("generated_query_hit5"), "error": s.get("retrieval_error"),
            "real_vectors": s.get("vectors_real", s["size"]) / s["size"],
        })
    return rows


GROWTH = ["ingest_est_s", "store_write_s", "disk_mb", "hybrid_p50", "hybrid_p95", "dense_p50",
          "bm25_p50", "bm25_build_s", "bm25_mb", "rss_mb", "server_rss_mb"]


GROWTH_HEADERS = ["store", "from", "to", *(h for k, h, _ in COLUMNS if k in GROWTH)]


def growth(rows: list[dict[str, Any]]) -> list[list[str]]:
    """The exponent b in cost ~ size^b between neighbouring sizes (1: linear, >1: faster)."""
    table = []
    for mode in sorted({r["mode"] for r in rows}):
        mine = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["size"])
        for a, b in itertools.pairwise(mine):
            cells = [mode, f"{a['size']:,}", f"{b['size']:,}"]
            for key in GROWTH:
                if a.get(key) and b.get(key) and a[key] > 0 and b[key] > 0:
                    exp = math.log(b[key] / a[key]) / math.log(b["size"] / a["size"])
                    cells.append(f"{exp:.2f}")
                else:
                    cells.append("-")
            table.append(cells)
    return table


def _cells(row: dict[str, Any]) -> list[str]:
    return ["-" if row.get(k) is None else fmt.format(row[k]) for k, _, fmt in COLUMNS]


HEADERS = [h for _, h, _ in COLUMNS]


def print_table(result: dict[str, Any]) -> None:
    print(common.text_table(HEADERS, [_cells(r) for r in result["rows"]]))
    emb = result["embedder_alone"]
    print(f"embedder alone: {emb['embed_chunks_per_s']} chunks/s on {emb['size']:,} chunks "
          f"(calls of {emb['batch']}); ingest (est) = chunks / that + store write (measured)")
    if any(r["real_vectors"] < 1 for r in result["rows"]):
        print(SURROGATE_NOTE)
    for r in result["rows"]:
        if r.get("error"):
            print(f"{r['size']:,} chunks, {r['mode']}: hybrid retrieval failed: {r['error']}")
    print("growth exponent b (cost ~ chunks^b; 1 = linear):")
    print(common.text_table(GROWTH_HEADERS, growth(result["rows"])))


def markdown(result: dict[str, Any]) -> str:
    emb = result["embedder_alone"]
    return "\n".join([
        "# Scale: cost against corpus size", "",
        f"Produced by `{result['command']}` (run took {result['run_seconds']:.0f} s; "
        f"load average at the end {result['machine']['load_average_at_end']}, "
        f"{result['machine']['cpus']} CPUs). Raw figures: `benchmarks/results/scale.json`; "
        "plot: `scale.png`.", "",
        common.markdown_table(HEADERS, [_cells(r) for r in result["rows"]]), "",
        *([result["note"], ""] if result.get("note") else []),
        *(f"- {r['size']:,} chunks, {r['mode']}: hybrid retrieval failed: {r['error']}"
          for r in result["rows"] if r.get("error")), "",
        f"Embedder alone: {emb['embed_chunks_per_s']} chunks/s on {emb['size']:,} chunks "
        f"(calls of {emb['batch']}, as the pipeline makes them).", "",
        *([SURROGATE_NOTE, ""] if any(r["real_vectors"] < 1 for r in result["rows"]) else []),
        "## Growth", "", "Exponent *b* in cost ~ chunks^*b* between neighbouring sizes "
        "(1 = linear, above 1 = faster than linear, 0 = flat):", "",
        common.markdown_table(GROWTH_HEADERS, growth(result["rows"])), "",
        "## How each figure is measured", "", result["method"], "",
    ])


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    panels = [
        ("ingestion time (s)", [("ingest_est_s", "est. {mode}"), ("pipeline_s", "pipeline")]),
        ("chunks / s", [("ingest_est_cps", "ingest est. {mode}"), ("pipeline_cps", "pipeline"),
                        ("store_write_cps", "store write {mode}")]),
        ("index size on disk (MB)", [("disk_mb", "{mode}")]),
        ("query latency (ms)", [("hybrid_p50", "hybrid p50 {mode}"),
                                ("hybrid_p95", "hybrid p95 {mode}"),
                                ("dense_p50", "Chroma dense p50 {mode}")]),
        ("memory RSS (MB)", [("rss_mb", "citebot process, {mode}"),
                             ("server_rss_mb", "`chroma run` process")]),
        ("keyword index (BM25)", [("bm25_build_s", "build s {mode}"),
                                  ("bm25_mb", "MB {mode}")]),
    ]
    for ax, (title, series) in zip(axes.flat, panels, strict=True):
        for number, (key, label) in enumerate(series):
            for mode in sorted({r["mode"] for r in rows}):
                points = [(r["size"], r[key]) for r in rows
                          if r["mode"] == mode and r.get(key) is not None]
                if points and not (key.startswith("pipeline") and mode != "embedded"):
                    xs, ys = zip(*points, strict=True)
                    style = "--" if mode == "server" else "-"  # colour: figure; line: store
                    ax.plot(xs, ys, style, marker="o", color=f"C{number}",
                            label=label.format(mode=mode))
        ax.set(title=title, xlabel="chunks", xscale="log", yscale="log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("citebot: cost against corpus size (2 CPU cores; solid: embedded Chroma, "
                 "dashed: Chroma server on loopback)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--modes", nargs="+", choices=["embedded", "server"],
                        default=["embedded", "server"])
    parser.add_argument("--pipeline-sizes", type=int, nargs="*", default=[1000, 10000],
                        help="sizes at which the real pipeline also runs end to end")
    parser.add_argument("--out", type=Path, default=common.RESULTS / "scale.json")
    parser.add_argument("--docs", type=Path, default=common.PERF_DOCS,
                        help="where scale.md and scale.png go")
    parser.add_argument("--allow-surrogate", action="store_true",
                        help="measure the store with surrogate vectors for chunks not embedded "
                             "yet, instead of embedding them first (see scale_corpus.surrogates)")
    parser.add_argument("--resume", action="store_true",
                        help="reuse measurements kept in .citebot/bench/results by an earlier "
                             "(interrupted) run instead of taking them again")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: redo the table, scale.md and scale.png from --out")
    args = parser.parse_args()
    if args.report_only:
        result = json.loads(args.out.read_text())
    else:
        result = run(sorted(args.sizes), args.modes, sorted(args.pipeline_sizes),
                     args.allow_surrogate, args.resume)
        common.write_json(args.out, result)
    print_table(result)
    common.write_text(args.docs / "scale.md", markdown(result))
    plot(result, args.docs / "scale.png")
    print(f"wrote {args.out}, {args.docs / 'scale.md'}, {args.docs / 'scale.png'}; "
          f"run took {result['run_seconds']} s")


if __name__ == "__main__":
    main()
