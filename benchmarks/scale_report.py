"""The scale benchmark's table (terminal and Markdown) and its plot of cost against size."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

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
    "of another chunk plus seeded Gaussian noise, normalised (benchmarks/scale_cache.py "
    "`surrogates`). Storage, index and search cost depend on the count and dimension of the "
    "vectors, not on which text they came from, but *gen. hit@5* is then only indicative. "
    "Resume the embedding with `nice -n 10 .venv/bin/python -m benchmarks.scale_cache --size "
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


def growth(rows: list[dict[str, Any]]) -> list[list[str]]:
    """The exponent b in cost ~ size^b between neighbouring sizes (1: linear, >1: faster)."""
    header = ["store", "from", "to", *(h for k, h, _ in COLUMNS if k in GROWTH)]
    table = [header]
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


def print_table(result: dict[str, Any]) -> None:
    table = [[h for _, h, _ in COLUMNS], *(_cells(r) for r in result["rows"])]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    for line in table:
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))
    emb = result["embedder_alone"]
    print(f"embedder alone: {emb['embed_chunks_per_s']} chunks/s on {emb['size']:,} chunks "
          f"(calls of {emb['batch']}); ingest (est) = chunks / that + store write (measured)")
    if any(r["real_vectors"] < 1 for r in result["rows"]):
        print(SURROGATE_NOTE)
    for r in result["rows"]:
        if r.get("error"):
            print(f"{r['size']:,} chunks, {r['mode']}: hybrid retrieval failed: {r['error']}")
    print("growth exponent b (cost ~ chunks^b; 1 = linear):")
    table = growth(result["rows"])
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))


def markdown_table(result: dict[str, Any]) -> str:
    head = [h for _, h, _ in COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in result["rows"]]
    emb = result["embedder_alone"]
    return "\n".join([
        "# Scale: cost against corpus size", "",
        f"Produced by `{result['command']}` (run took {result['run_seconds']:.0f} s; "
        f"load average at the end {result['machine']['load_average_at_end']}, "
        f"{result['machine']['cpus']} CPUs). Raw figures: `benchmarks/results/scale.json`; "
        "plot: `scale.png`.", "",
        *lines, "",
        *([result["note"], ""] if result.get("note") else []),
        *(f"- {r['size']:,} chunks, {r['mode']}: hybrid retrieval failed: {r['error']}"
          for r in result["rows"] if r.get("error")), "",
        f"Embedder alone: {emb['embed_chunks_per_s']} chunks/s on {emb['size']:,} chunks "
        f"(calls of {emb['batch']}, as the pipeline makes them).", "",
        *([SURROGATE_NOTE, ""] if any(r["real_vectors"] < 1 for r in result["rows"]) else []),
        "## Growth", "", "Exponent *b* in cost ~ chunks^*b* between neighbouring sizes "
        "(1 = linear, above 1 = faster than linear, 0 = flat):", "",
        *_markdown(growth(result["rows"])), "",
        "## How each figure is measured", "", result["method"], "",
    ])


def _markdown(table: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0]),
            *("| " + " | ".join(line) + " |" for line in table[1:])]


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
