"""How fast is citebot on this machine? Ingestion, retrieval, answers, cold start and memory.

Each part runs on a fresh index of the seed corpus built in a temporary folder, so the run is
self-contained. Prints one table a part and writes benchmarks/results/speed.json and
docs/perf/speed.md.

    .venv/bin/python benchmarks/speed.py                      # every part (~10 min)
    .venv/bin/python benchmarks/speed.py --parts retrieval cold --answers 10

Parts:
  ingest     the whole pipeline (load, clean, chunk, embed, store) vs the embedder alone on the
             same texts: chunks/s for both, and their ratio (the pipeline's efficiency)
  retrieval  Bot.retrieve over the 90 questions (query embedding + Chroma + BM25 + fusion),
             each query new to the process (no cache hits), with the embedding share
  answers    time to first token and total for typical questions with the default local model,
             after one warm-up question that loads it
  cold       `citebot --help` wall time and what it imports; `citebot ask` from process start
             to the first streamed answer character
  memory     peak RSS of `citebot serve` after it answered a question with the local model
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
CITEBOT = str(Path(sys.executable).with_name("citebot"))
PARTS = ("ingest", "retrieval", "answers", "cold", "memory")
COLD_QUESTION = "What does RLHF stand for?"


def settings_for(data_dir: Path, **overrides: Any) -> Any:
    from bot.settings import load_settings

    values = {"data_dir": data_dir, "corpus": (ROOT / "corpus",), **overrides}
    return load_settings(values, environ={}, config_file=_empty_toml(data_dir.parent))


def _empty_toml(folder: Path) -> Path:
    path = folder / "citebot.toml"
    path.write_text("")
    return path


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def p(values: Sequence[float], q: int) -> float:
    from bot.evaluate import percentile

    return percentile(values, q)


# -- parts --------------------------------------------------------------------------------------
def bench_ingest(data_dir: Path) -> dict[str, Any]:
    from bot.backends.embedders import make_embedder
    from ingest.pipeline import embedding_text, ingest_corpus

    warm = make_embedder("minilm")
    warm.embed_query("load the model once so both timings below start warm")
    started = time.perf_counter()
    report = ingest_corpus(settings_for(data_dir))
    pipeline = time.perf_counter() - started
    from bot.api import Bot

    chunks = Bot(settings_for(data_dir, model="extractive")).store.all_chunks()
    texts = [embedding_text(c) for c in chunks]
    started = time.perf_counter()
    warm.embed_documents(texts)
    alone = time.perf_counter() - started
    return {"chunks": len(chunks), "embedded": report.embedded,
            "pipeline_seconds": round(pipeline, 2),
            "pipeline_chunks_per_s": round(len(chunks) / pipeline, 1),
            "embedder_seconds": round(alone, 2),
            "embedder_chunks_per_s": round(len(chunks) / alone, 1),
            "efficiency": round(alone / pipeline, 3),
            "note": "pipeline time includes reading the files and loading a second embedder "
                    "instance from disk (imports already warm)"}


def bench_retrieval(data_dir: Path) -> dict[str, Any]:
    from bot.api import Bot
    from bot.evaluate import load_questions

    bot = Bot(settings_for(data_dir, model="extractive"))
    started = time.perf_counter()
    bot.retrieve("warm-up: load the embedder and open the store")
    warm_up = time.perf_counter() - started
    started = time.perf_counter()
    _ = bot.retriever.keywords
    questions = [q.question for q in load_questions(ROOT / "corpus" / "questions.jsonl")]
    totals, embeds = [], []
    for question in questions:
        started = time.perf_counter()
        bot.retrieve(question)
        totals.append(time.perf_counter() - started)
        started = time.perf_counter()
        bot.embedder.embed_query(question)  # uncached: the embedding share of the total
        embeds.append(time.perf_counter() - started)
    return {"queries": len(questions), "first_query_s": round(warm_up, 2),
            "p50_ms": ms(p(totals, 50)), "p95_ms": ms(p(totals, 95)),
            "embed_p50_ms": ms(p(embeds, 50)), "embed_p95_ms": ms(p(embeds, 95)),
            "search_and_fusion_p50_ms": ms(p([t - e for t, e in zip(totals, embeds,
                                                                     strict=True)], 50))}


def bench_answers(data_dir: Path, count: int) -> dict[str, Any]:
    from bot.api import Bot
    from bot.evaluate import load_questions

    questions = [q for q in load_questions(ROOT / "corpus" / "questions.jsonl")
                 if q.answerable and not q.history]
    step = max(1, len(questions) // count)
    chosen = questions[::step][:count]
    bot = Bot(settings_for(data_dir))
    started = time.perf_counter()
    first = bot.ask(COLD_QUESTION)
    warm_up = time.perf_counter() - started
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
            "first_token_p50_s": round(p(firsts, 50), 2),
            "first_token_p95_s": round(p(firsts, 95), 2),
            "total_p50_s": round(p(totals, 50), 2), "total_p95_s": round(p(totals, 95), 2),
            "abstained": sum(r["abstained"] for r in rows), "rows": rows}


def bench_cold(data_dir: Path) -> dict[str, Any]:
    helps = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([CITEBOT, "--help"], check=True, capture_output=True)
        helps.append(time.perf_counter() - started)
    probe = ("import sys, ui.cli; print(','.join(m for m in ('torch', 'chromadb', 'gradio', "
             "'sentence_transformers', 'transformers') if m in sys.modules))")
    heavy = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                           text=True, cwd=ROOT).stdout.strip()
    first_char, total = _time_to_first_answer_char(
        [CITEBOT, "ask", COLD_QUESTION, "--data-dir", str(data_dir)], data_dir.parent)
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


def bench_memory(data_dir: Path) -> dict[str, Any]:
    from gradio_client import Client

    port = _free_port()
    proc = subprocess.Popen([CITEBOT, "serve", "--data-dir", str(data_dir), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=data_dir.parent)
    try:
        _wait_for_port(port, proc, timeout=180)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        idle = _proc_status(proc.pid)
        reply = client.predict(COLD_QUESTION, "local", 5, api_name="/ask")
        status = _proc_status(proc.pid)
        return {"rss_before_first_question_mb": idle["VmRSS"],
                "rss_after_answer_mb": status["VmRSS"], "peak_rss_mb": status["VmHWM"],
                "answered": bool(reply.get("text")) and not reply.get("error")}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _proc_status(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"citebot serve exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise SystemExit(f"citebot serve did not listen on port {port} within {timeout:.0f} s")


# -- output -------------------------------------------------------------------------------------
def markdown(results: dict[str, Any]) -> str:
    lines = ["# Speed on this machine (2 CPU cores, no GPU)", ""]
    for part, figures in results.items():
        if not isinstance(figures, dict):
            continue
        lines += [f"## {part}", "", f"`{figures.get('command', '')}`", "",
                  "| figure | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in figures.items()
                  if k != "command" and not isinstance(v, list | dict)]
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--answers", type=int, default=20, help="questions for the answers part")
    args = parser.parse_args(argv)
    command = "python benchmarks/speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    runs: dict[str, Callable[[Path], dict[str, Any]]] = {
        "ingest": bench_ingest, "retrieval": bench_retrieval,
        "answers": lambda d: bench_answers(d, args.answers), "cold": bench_cold,
        "memory": bench_memory}
    results: dict[str, Any] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="citebot-speed-") as tmp:
        data_dir = Path(tmp) / "data"
        if "ingest" not in args.parts:
            from ingest.pipeline import ingest_corpus

            ingest_corpus(settings_for(data_dir))
        for part in PARTS:
            if part in args.parts:
                results[part] = {**runs[part](data_dir), "command": command.strip()}
                print(f"\n{part}")
                for key, value in results[part].items():
                    if not isinstance(value, list):
                        print(f"  {key:32} {value}")
    out = ROOT / "benchmarks" / "results" / "speed.json"
    old = json.loads(out.read_text()) if out.exists() else {}
    merged = {**old, **results}
    out.write_text(json.dumps(merged, indent=1))
    (ROOT / "docs" / "perf").mkdir(parents=True, exist_ok=True)
    (ROOT / "docs" / "perf" / "speed.md").write_text(markdown(merged))


if __name__ == "__main__":
    main()
