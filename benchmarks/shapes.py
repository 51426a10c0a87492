"""How complete and how fast are answers of each question kind? Breadth questions (lists,
comparisons, summaries, cross-document, table-only) against single-fact ones.

Builds a fresh index of the seed corpus in a temporary folder, loads the model once, answers
one warm-up question, then every question of the sample through ``Bot.evaluate`` (the same
scorer as ``citebot eval``). Prints per kind: questions, key-fact recall, support rate, and the
time to the first content shown (for a breadth answer, its table or list) and to the whole
answer (p50 / p95). Writes benchmarks/results/shapes-<model>.json and docs/perf/shapes-<model>.md
(or ``--out`` and ``--markdown``).

    .venv/bin/python benchmarks/shapes.py                   # local model, all breadth + 20 facts
    .venv/bin/python benchmarks/shapes.py --model extractive --facts 68
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path
from typing import Any

import common

COLUMNS = ("questions", "fact_recall", "support_rate", "first_content_p50", "first_content_p95",
           "total_p50", "total_p95", "prompt_tokens", "prompt_new_tokens", "generated_tokens")
"""The last three: means per answer the model wrote part of (prompt read, of it not in
llama.cpp's prompt cache, and written); what an answer costs on 2 cores is its tokens."""


def sample(questions: list[Any], facts: int, seed: int) -> list[Any]:
    """Every breadth question, and ``facts`` answerable single-fact ones (seeded)."""
    breadth = [q for q in questions if q.category == "breadth"]
    single = [q for q in questions if q.kind == "fact" and q.answerable and not q.history
              and q.category in ("fact", "definition", "table")]
    return breadth + random.Random(seed).sample(single, min(facts, len(single)))


def run(model: str, facts: int, seed: int) -> dict[str, Any]:
    from bot.api import Bot
    from ingest.pipeline import ingest_corpus

    info = common.machine()
    with tempfile.TemporaryDirectory() as tmp:
        settings = common.isolated_settings(Path(tmp) / "data", model=model)
        ingest_corpus(settings)
        bot = Bot(settings)
        bot.ask("What does RLHF stand for?")  # loads the embedder, BM25 and the model
        chosen = sample(common.question_set(), facts, seed)
        report, seconds = common.timed(lambda: bot.evaluate(chosen))
        bot.close()
    groups = {"breadth (all kinds)": report.by_category.get("breadth", {}),
              **{f"breadth: {k}": v for k, v in report.by_kind.items() if k != "fact"},
              "single fact": report.by_kind.get("fact", {})}
    return {"model": model, "seed": seed, "seconds": round(seconds, 1),
            "machine": f"{info['machine']}, {info['cpus']} cores",
            "load_average": info["load_average"], "commit": info["commit"],
            "groups": {name: {c: round(values.get(c, 0.0), 3) for c in COLUMNS}
                       for name, values in groups.items()}}


def table(result: dict[str, Any]) -> str:
    rows = [[name, *(f"{values[c]:.0f}" if c == "questions" or c.endswith("_tokens") else
                     f"{values[c]:.2f} s" if c.endswith(("_p50", "_p95")) else f"{values[c]:.3f}"
                     for c in COLUMNS)]
            for name, values in result["groups"].items()]
    return common.markdown_table(("group", *COLUMNS), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--facts", type=int, default=20, help="single-fact questions to add")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/"
                        "shapes-MODEL.json)")
    parser.add_argument("--markdown", type=Path, help="Markdown file (default: docs/perf/"
                        "shapes-MODEL.md)")
    args = parser.parse_args()
    result = run(args.model, args.facts, args.seed)
    text = table(result)
    print(text)
    print(f"{result['seconds']} s, model {result['model']}, {result['machine']}")
    out = common.write_json(args.out or common.RESULTS / f"shapes-{args.model}.json", result)
    markdown = common.write_text(args.markdown or common.PERF_DOCS / f"shapes-{args.model}.md",
        f"# Answers by question kind ({args.model})\n\n"
        f"`.venv/bin/python benchmarks/shapes.py --model {args.model} --facts {args.facts}`"
        f", seed {args.seed}, {result['machine']}, {result['seconds']} s.\n\n{text}\n")
    print(f"wrote {out} and {markdown}")


if __name__ == "__main__":
    main()
