"""How citebot's cost grows with the corpus: 1,000, 10,000 and 100,000 chunks, embedded Chroma
and a `chroma run` server on loopback.

    nice -n 10 .venv/bin/python -m benchmarks.scale --sizes 1000 10000 100000 \
        --modes embedded server

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
  cached in .citebot/bench/vectors (benchmarks/scale_cache.py); 1k and 10k reuse the 100k ones.
- store write: the cached vectors written through citebot's Store API (put_documents,
  add_chunks in batches of 64, promote) into a fresh index; measured per mode.
- ingestion (estimated) = chunks / embedder-alone chunks/s + store write (measured).
- pipeline: the real ingest.pipeline.ingest_corpus end to end (embedded store), measured at
  --pipeline-sizes, to validate the estimate.
- queries: 50 fixed queries (benchmarks/scale_queries.py), 3 warm-up queries first; hybrid =
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
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.scale_cache import BENCH_DIR, VECTOR_DIR, corpus_folder
from benchmarks.scale_queries import ensure_corpus
from benchmarks.scale_report import markdown_table, plot, print_table, rows_for

REPO = Path(__file__).resolve().parents[1]


def child(*args: str, resume: bool = False) -> dict[str, Any]:
    """Run one measurement of benchmarks/scale_measure.py in a fresh process; its result is
    kept in .citebot/bench/results, and reused from there with ``resume``."""
    kept = BENCH_DIR / "results" / ("-".join(args) + ".json")
    if resume and kept.exists():
        print(f"  {' '.join(args)}: reused {kept}", flush=True)
        return dict(json.loads(kept.read_text()))
    kept.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "benchmarks.scale_measure", *args, str(out)],
                       cwd=REPO, check=True)
        result: dict[str, Any] = json.loads(out.read_text())
        result["process_s"] = round(time.perf_counter() - began, 1)
        print(f"  {' '.join(args)}: {result['process_s']} s", flush=True)
        kept.write_text(json.dumps(result, indent=2))
        return result


def cache_vectors(size: int, surrogate: bool) -> dict[str, Any]:
    """Make sure the corpus' vectors are cached (embedding them if not); their record."""
    if not surrogate:
        subprocess.run([sys.executable, "-m", "benchmarks.scale_cache", "--size", str(size)],
                       cwd=REPO, check=True)
    metas = [json.loads(p.read_text()) for p in VECTOR_DIR.glob("chunks-*.meta.json")]
    full = [m for m in metas if m["embedded"] >= 0.9 * m["texts"]]
    return max(full, key=lambda m: m["texts"]) if full else {}


def corpus_info(size: int) -> dict[str, Any]:
    ensure_corpus(size)
    info: dict[str, Any] = json.loads((corpus_folder(size) / "corpus.json").read_text())
    return info


def run(sizes: list[int], modes: list[str], pipeline_sizes: list[int], surrogate: bool,
        resume: bool = False) -> dict[str, Any]:
    began = time.perf_counter()
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
        "command": "nice -n 10 .venv/bin/python -m benchmarks.scale " + " ".join(
            ["--sizes", *map(str, sizes), "--modes", *modes, "--pipeline-sizes",
             *map(str, pipeline_sizes), *(["--allow-surrogate"] if surrogate else [])]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "method": (__doc__ or "").split("How each figure is measured")[1].strip(),
        "corpus": {str(s): corpora[s] for s in sizes},
        "vector_cache": {str(s): cached[s] for s in sizes},
        "embedder_alone": embedder,
        "pipeline": pipeline,
        "stores": stores,
        "rows": rows_for(stores, embedder, pipeline),
        "run_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--modes", nargs="+", choices=["embedded", "server"],
                        default=["embedded", "server"])
    parser.add_argument("--pipeline-sizes", type=int, nargs="*", default=[1000, 10000],
                        help="sizes at which the real pipeline also runs end to end")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/scale.json")
    parser.add_argument("--docs", type=Path, default=REPO / "docs/perf",
                        help="where scale.md and scale.png go")
    parser.add_argument("--allow-surrogate", action="store_true",
                        help="measure the store with surrogate vectors for chunks not embedded "
                             "yet, instead of embedding them first (see scale_cache.surrogates)")
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
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
    args.docs.mkdir(parents=True, exist_ok=True)
    print_table(result)
    (args.docs / "scale.md").write_text(markdown_table(result))
    plot(result, args.docs / "scale.png")
    print(f"wrote {args.out}, {args.docs / 'scale.md'}, {args.docs / 'scale.png'}; "
          f"run took {result['run_seconds']} s")


if __name__ == "__main__":
    main()
