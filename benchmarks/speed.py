"""How fast is citebot on this machine? Ingestion, retrieval, answers, cold start and memory.

Each part runs on a fresh index of the seed corpus built in a temporary folder, so the run is
self-contained. Prints one table a part and writes benchmarks/results/speed.json and
docs/perf/speed.md.

    .venv/bin/python benchmarks/speed.py                      # every part (~10 min)
    .venv/bin/python benchmarks/speed.py --parts retrieval cold --answers 10
    .venv/bin/python benchmarks/speed.py --model extractive --answers 2 --out /tmp/speed.json \
        --markdown /tmp/speed.md                              # a quick check of the script

Parts:
  ingest     the whole pipeline (load, clean, chunk, embed, store) vs the embedder alone on the
             same texts: chunks/s for both, and their ratio (the pipeline's efficiency)
  retrieval  Bot.retrieve over the 90 questions (query embedding + Chroma + BM25 + fusion),
             each query new to the process (no cache hits), with the embedding share
  answers    time to first token and total for typical questions with the model (default
             local), after one warm-up question that loads it
  cold       `citebot --help` wall time and what it imports; `citebot ask` from process start
             to the first streamed answer character
  memory     peak RSS of `citebot serve` after it answered a question with the model

Each part's figures replace that part's in the JSON and Markdown files; the other parts are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import common

from bot.evaluate import percentile

CITEBOT = str(Path(sys.executable).with_name("citebot"))
PARTS = ("ingest", "retrieval", "answers", "cold", "memory")
COLD_QUESTION = "What does RLHF stand for?"


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# -- parts --------------------------------------------------------------------------------------
def bench_ingest(data_dir: Path) -> dict[str, Any]:
    from bot.api import Bot
    from bot.backends.embedders import make_embedder
    from ingest.pipeline import embedding_text, ingest_corpus

    warm = make_embedder("minilm")
    warm.embed_query("load the model once so both timings below start warm")
    report, pipeline = common.timed(lambda: ingest_corpus(common.isolated_settings(data_dir)))
    chunks = Bot(common.isolated_settings(data_dir, model="extractive")).store.all_chunks()
    texts = [embedding_text(c) for c in chunks]
    _, alone = common.timed(lambda: warm.embed_documents(texts))
    return {"chunks": len(chunks), "embedded": report.added,
            "pipeline_seconds": round(pipeline, 2),
            "pipeline_chunks_per_s": round(len(chunks) / pipeline, 1),
            "embedder_seconds": round(alone, 2),
            "embedder_chunks_per_s": round(len(chunks) / alone, 1),
            "efficiency": round(alone / pipeline, 3),
            "note": "pipeline time includes reading the files and loading a second embedder "
                    "instance from disk (imports already warm)"}


def bench_retrieval(data_dir: Path) -> dict[str, Any]:
    from bot.api import Bot

    bot = Bot(common.isolated_settings(data_dir, model="extractive"))
    _, warm_up = common.timed(lambda: bot.retrieve("warm-up: load the embedder and the store"))
    _ = bot.retriever.keywords
    questions = [q.question for q in common.question_set()]
    totals, embeds = [], []
    for question in questions:
        totals.append(common.timed(lambda q=question: bot.retrieve(q))[1])
        # uncached: the embedding share of the total
        embeds.append(common.timed(lambda q=question: bot.embedder.embed_query(q))[1])
    searches = [t - e for t, e in zip(totals, embeds, strict=True)]
    pct = percentile
    return {"queries": len(questions), "first_query_s": round(warm_up, 2),
            "p50_ms": ms(pct(totals, 50)), "p95_ms": ms(pct(totals, 95)),
            "embed_p50_ms": ms(pct(embeds, 50)), "embed_p95_ms": ms(pct(embeds, 95)),
            "search_and_fusion_p50_ms": ms(pct(searches, 50))}


def bench_answers(data_dir: Path, count: int, model: str) -> dict[str, Any]:
    from bot.api import Bot

    questions = [q for q in common.question_set() if q.answerable and not q.history]
    step = max(1, len(questions) // count)
    chosen = questions[::step][:count]
    bot = Bot(common.isolated_settings(data_dir, model=model))
    first, warm_up = common.timed(lambda: bot.ask(COLD_QUESTION))
    rows = []
    for question in chosen:
        answer = bot.ask(question.question)
        rows.append({"id": question.id, "first_token": answer.timings.get("first_token"),
                     "total": answer.timings["total"], "abstained": answer.abstained})
    bot.close()
    firsts = [r["first_token"] for r in rows if r["first_token"] is not None]
    totals = [r["total"] for r in rows]
    return {"model": bot.settings.model, "questions": len(rows),
            "first_answer_after_start_s": round(warm_up, 2),
            "first_answer_first_token_s": round(first.timings.get("first_token", 0.0), 2),
            "first_token_p50_s": round(percentile(firsts, 50), 2),
            "first_token_p95_s": round(percentile(firsts, 95), 2),
            "total_p50_s": round(percentile(totals, 50), 2),
            "total_p95_s": round(percentile(totals, 95), 2),
            "abstained": sum(r["abstained"] for r in rows), "rows": rows}


def bench_cold(data_dir: Path, model: str) -> dict[str, Any]:
    helps = [common.timed(lambda: subprocess.run([CITEBOT, "--help"], check=True,
                                                 capture_output=True))[1] for _ in range(5)]
    probe = ("import sys, ui.cli; print(','.join(m for m in ('torch', 'chromadb', 'gradio', "
             "'sentence_transformers', 'transformers') if m in sys.modules))")
    heavy = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                           text=True, cwd=common.ROOT).stdout.strip()
    first_char, total = _time_to_first_answer_char(
        [CITEBOT, "ask", COLD_QUESTION, "--data-dir", str(data_dir), "--model", model],
        data_dir.parent)
    return {"help_p50_s": round(statistics.median(helps), 3),
            "help_imports_heavy": heavy or "none", "ask_first_token_s": round(first_char, 2),
            "ask_total_s": round(total, 2)}


def _time_to_first_answer_char(command: list[str], cwd: Path) -> tuple[float, float]:
    """Seconds from process start to the first character after the 'bot> ' prompt, and to exit."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            cwd=cwd)
    assert proc.stdout is not None
    seen, first = b"", 0.0
    while not first:
        byte = proc.stdout.read(1)
        if not byte:
            break
        seen += byte
        if seen.endswith(b"bot> "):
            seen = b"!"
        elif seen.startswith(b"!") and byte.strip():
            first = time.perf_counter() - started
    proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit {proc.returncode}")
    return first, time.perf_counter() - started


def bench_memory(data_dir: Path, model: str) -> dict[str, Any]:
    from gradio_client import Client

    port = common.free_port()
    command = [CITEBOT, "serve", "--data-dir", str(data_dir), "--port", str(port)]
    url = f"http://127.0.0.1:{port}/"
    # From the index's folder, so that a citebot.toml in the checkout does not apply.
    with common.server_process(command, url, timeout=180, cwd=data_dir.parent) as proc:
        client = Client(url, verbose=False)
        idle = common.rss_mb(proc.pid)
        reply = client.predict(COLD_QUESTION, model, 5, api_name="/ask")
        return {"rss_before_first_question_mb": idle,
                "rss_after_answer_mb": common.rss_mb(proc.pid),
                "peak_rss_mb": common.peak_rss_mb(proc.pid),
                "answered": bool(reply.get("text")) and not reply.get("error")}


# -- output -------------------------------------------------------------------------------------
def markdown(results: dict[str, Any]) -> str:
    lines = ["# Speed on this machine (2 CPU cores, no GPU)", ""]
    for part, figures in results.items():
        if not isinstance(figures, dict):
            continue
        rows = [(k, v) for k, v in figures.items()
                if k != "command" and not isinstance(v, list | dict)]
        lines += [f"## {part}", "", f"`{figures.get('command', '')}`", "",
                  common.markdown_table(("figure", "value"), rows), ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--answers", type=int, default=20, help="questions for the answers part")
    parser.add_argument("--model", default="local",
                        help="backend of the answers, cold and memory parts (default local)")
    parser.add_argument("--out", type=Path, default=common.RESULTS / "speed.json")
    parser.add_argument("--markdown", type=Path, default=common.PERF_DOCS / "speed.md")
    args = parser.parse_args(argv)
    command = common.command_line(argv)
    runs: dict[str, Callable[[Path], dict[str, Any]]] = {
        "ingest": bench_ingest, "retrieval": bench_retrieval,
        "answers": lambda d: bench_answers(d, args.answers, args.model),
        "cold": lambda d: bench_cold(d, args.model),
        "memory": lambda d: bench_memory(d, args.model)}
    results: dict[str, Any] = {"cpus": common.machine()["cpus"]}
    with tempfile.TemporaryDirectory(prefix="citebot-speed-") as tmp:
        data_dir = Path(tmp) / "data"
        if "ingest" not in args.parts:
            from ingest.pipeline import ingest_corpus

            ingest_corpus(common.isolated_settings(data_dir))
        for part in PARTS:
            if part in args.parts:
                machine = common.machine_line()
                results[part] = {**runs[part](data_dir), "command": command,
                                 "machine": machine}
                print(f"\n{part}")
                for key, value in results[part].items():
                    if not isinstance(value, list):
                        print(f"  {key:32} {value}")
    old = json.loads(args.out.read_text()) if args.out.exists() else {}
    merged = {**old, **results}
    common.write_json(args.out, merged)
    common.write_text(args.markdown, markdown(merged))
    print(f"\nwrote {args.out} and {args.markdown}")


if __name__ == "__main__":
    main()
