"""What the OpenAI-compatible API costs on top of ``bot.ask``: the same questions, asked
directly and through ``POST /v1/chat/completions`` (openai SDK, non-streamed) of the launched
web app, in one run. Prints a table and writes benchmarks/results/api_overhead.json.

    .venv/bin/python benchmarks/api_overhead.py                  # extractive, 20 questions
    .venv/bin/python benchmarks/api_overhead.py --model local -n 5

Two Bots over one fresh index, one for each path, so neither gains from the other's query
embedding cache; each is warmed up first; the two paths alternate which goes first. With
``--model local`` both paths share the one loaded model, whose prompt cache makes whichever
path asks a question second much faster: per-question ratios then measure the cache, and the
ratio of the totals (alternation balances it out) is the figure to read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "questions.jsonl").open()]
    return [r["question"] for r in rows if r.get("answerable", True) and not r.get("history")][:n]


def timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="extractive")
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args()

    from openai import OpenAI

    from bot.api import Bot
    from ingest.pipeline import ingest_corpus
    from tests.conftest import free_port, make_settings
    from tests.ui.api_helpers import launched

    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp), model=args.model, port=free_port())
        ingest_corpus(settings)
        direct, served = Bot(settings), Bot(settings)
        if args.model == "local":  # one model in memory, lent to both paths
            served = Bot(settings, generators={"local": direct.generator("local")})
        with launched(served) as url:
            client = OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=600)

            def api(q: str) -> None:
                client.chat.completions.create(model="citebot",
                                               messages=[{"role": "user", "content": q}])

            direct.ask("What is generative AI?")  # warm-up: models, BM25, first request
            api("What is generative AI?")
            rows = []
            for i, q in enumerate(questions(args.n)):
                pair = [("ask", lambda q=q: direct.ask(q)), ("api", lambda q=q: api(q))]
                times = dict((name, timed(call)) for name, call in
                             (pair if i % 2 == 0 else pair[::-1]))
                rows.append({"question": q, **times})
    report(args.model, rows)


def report(model: str, rows: list[dict[str, Any]]) -> None:
    ask = [r["ask"] for r in rows]
    api = [r["api"] for r in rows]
    ratios = [r["api"] / r["ask"] for r in rows]
    summary = {"model": model, "questions": len(rows),
               "ask_median_s": statistics.median(ask), "api_median_s": statistics.median(api),
               "ratio_of_medians": statistics.median(api) / statistics.median(ask),
               "median_ratio": statistics.median(ratios),
               "ratio_of_totals": sum(api) / sum(ask),
               "overhead_median_ms": 1000 * statistics.median(a - b for a, b in zip(api, ask,
                                                                                    strict=True)),
               "cpus": os.cpu_count(), "load_average": os.getloadavg()}
    print(f"| model | N | bot.ask median | API median | API / ask (medians) | median of ratios "
          f"| ratio of totals | overhead median |\n|---|---|---|---|---|---|---|---|\n"
          f"| {model} | {len(rows)} | {summary['ask_median_s'] * 1000:.0f} ms "
          f"| {summary['api_median_s'] * 1000:.0f} ms | {summary['ratio_of_medians']:.2f} "
          f"| {summary['median_ratio']:.2f} | {summary['ratio_of_totals']:.2f} "
          f"| {summary['overhead_median_ms']:.0f} ms |")
    out = ROOT / "benchmarks" / "results" / f"api_overhead-{model}.json"
    out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
