"""How complete and how fast are answers of each question kind? Breadth questions (lists,
comparisons, summaries, cross-document, table-only) against single-fact ones.

Builds a fresh index of the seed corpus in a temporary folder, loads the model once, answers
one warm-up question, then every question of the sample through ``Bot.evaluate`` (the same
scorer as ``citebot eval``). Prints per kind: questions, key-fact recall, support rate, and the
time to the first content shown (for a breadth answer, its table or list) and to the whole
answer (p50 / p95). Writes benchmarks/results/shapes-<model>.json and docs/perf/shapes-<model>.md.

    .venv/bin/python benchmarks/shapes.py                   # local model, all breadth + 20 facts
    .venv/bin/python benchmarks/shapes.py --model extractive --facts 68
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
COLUMNS = ("questions", "fact_recall", "support_rate", "first_content_p50", "first_content_p95",
           "total_p50", "total_p95")


def sample(questions: list[Any], facts: int, seed: int) -> list[Any]:
    """Every breadth question, and ``facts`` answerable single-fact ones (seeded)."""
    breadth = [q for q in questions if q.category == "breadth"]
    single = [q for q in questions if q.kind == "fact" and q.answerable and not q.history
              and q.category in ("fact", "definition", "table")]
    return breadth + random.Random(seed).sample(single, min(facts, len(single)))


def run(model: str, facts: int, seed: int) -> dict[str, Any]:
    from bot.api import Bot
    from bot.evaluate import load_questions
    from bot.settings import load_settings
    from ingest.pipeline import ingest_corpus

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "citebot.toml").write_text("")
        settings = load_settings({"data_dir": Path(tmp) / "data", "corpus": (ROOT / "corpus",),
                                  "model": model}, environ={},
                                 config_file=Path(tmp) / "citebot.toml")
        ingest_corpus(settings)
        bot = Bot(settings)
        bot.ask("What does RLHF stand for?")  # loads the embedder, BM25 and the model
        chosen = sample(load_questions(ROOT / "corpus" / "questions.jsonl"), facts, seed)
        started = time.perf_counter()
        report = bot.evaluate(chosen)
        bot.close()
    groups = {"breadth (all kinds)": report.by_category.get("breadth", {}),
              **{f"breadth: {k}": v for k, v in report.by_kind.items() if k != "fact"},
              "single fact": report.by_kind.get("fact", {})}
    return {"model": model, "seed": seed, "seconds": round(time.perf_counter() - started, 1),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "groups": {name: {c: round(values.get(c, 0.0), 3) for c in COLUMNS}
                       for name, values in groups.items()}}


def table(result: dict[str, Any]) -> str:
    head = "| group | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for name, values in result["groups"].items():
        cells = [f"{values[c]:.0f}" if c == "questions" else
                 f"{values[c]:.2f} s" if c.endswith(("_p50", "_p95")) else f"{values[c]:.3f}"
                 for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--facts", type=int, default=20, help="single-fact questions to add")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args.model, args.facts, args.seed)
    text = table(result)
    print(text)
    print(f"{result['seconds']} s, model {result['model']}, {result['machine']}")
    (ROOT / "benchmarks" / "results" / f"shapes-{args.model}.json").write_text(
        json.dumps(result, indent=1) + "\n")
    (ROOT / "docs" / "perf" / f"shapes-{args.model}.md").write_text(
        f"# Answers by question kind ({args.model})\n\n"
        f"`.venv/bin/python benchmarks/shapes.py --model {args.model} --facts {args.facts}`"
        f", seed {args.seed}, {result['machine']}, {result['seconds']} s.\n\n{text}\n")


if __name__ == "__main__":
    main()
