"""What the OpenAI-compatible API costs on top of ``bot.ask``: the same questions, asked
directly and through ``POST /v1/chat/completions`` (openai SDK, non-streamed) of the launched
web app, in one run. Prints a table and writes benchmarks/results/api_overhead-<model>.json
(or ``--out``).

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
import statistics
import tempfile
from pathlib import Path
from typing import Any

import common

WARM_UP = "What is generative AI?"


def questions(n: int) -> list[str]:
    return [q.question for q in common.question_set() if q.answerable and not q.history][:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", default="extractive")
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--out", type=Path,
                        help="JSON file (default benchmarks/results/api_overhead-MODEL.json)")
    args = parser.parse_args()
    machine = common.machine()
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(Path(tmp) / "data", args.model, args.n)
    out = args.out or common.RESULTS / f"api_overhead-{args.model}.json"
    report(args.model, rows, machine, out)


def measure(data_dir: Path, model: str, n: int) -> list[dict[str, float | str]]:
    from openai import OpenAI

    from bot.api import Bot

    with common.running_app({"data_dir": data_dir, "model": model}, warm="",
                            isolated=True) as (served, url):
        # One model in memory, lent to both paths; otherwise a Bot of its own.
        lent = {"local": served.generator("local")} if model == "local" else None
        direct = Bot(served.settings, generators=lent)
        client = OpenAI(base_url=url + "v1", api_key="unused", max_retries=0, timeout=600)

        def api(q: str) -> None:
            client.chat.completions.create(model="citebot",
                                           messages=[{"role": "user", "content": q}])

        direct.ask(WARM_UP)  # warm-up: models, BM25, first request
        api(WARM_UP)
        rows: list[dict[str, float | str]] = []
        for i, q in enumerate(questions(n)):
            pair = [("ask", lambda q=q: direct.ask(q)), ("api", lambda q=q: api(q))]
            times = {name: common.timed(call)[1] for name, call in
                     (pair if i % 2 == 0 else pair[::-1])}
            rows.append({"question": q, **times})
    return rows  # direct is not closed: the app's bot closes the model they share


def report(model: str, rows: list[dict[str, Any]], machine: dict[str, Any], out: Path) -> None:
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
               "cpus": machine["cpus"], "load_average": machine["load_average"]}
    print(common.markdown_table(
        ("model", "N", "bot.ask median", "API median", "API / ask (medians)", "median of ratios",
         "ratio of totals", "overhead median"),
        [(model, len(rows), f"{summary['ask_median_s'] * 1000:.0f} ms",
          f"{summary['api_median_s'] * 1000:.0f} ms", f"{summary['ratio_of_medians']:.2f}",
          f"{summary['median_ratio']:.2f}", f"{summary['ratio_of_totals']:.2f}",
          f"{summary['overhead_median_ms']:.0f} ms")]))
    common.write_json(out, {"summary": summary, "machine": machine, "rows": rows})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
