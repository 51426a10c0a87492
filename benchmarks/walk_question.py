"""Follow one question from ``Bot.ask`` to its Answer and print the way it takes through the
code: every call from one module of bot/ into another, in the order first made, and the
totals (modules visited, distinct function and module crossings, round trips). Issue 21
compares the figures before and after the answering spine was built; the same script runs
on both versions.

    python benchmarks/walk_question.py --data-dir DIR ["What does RLHF stand for?"]

Utility modules every stage uses (text, schema, the injection filter, the errors) are left
out of the way: a call into them is not a step of the flow. The extractive backend answers,
so the walk is the same on every run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from types import FrameType
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import Bot  # noqa: E402

UTILITIES = {"bot.text", "bot.schema", "bot.instructions", "bot.errors", "bot.settings"}


def module_of(frame: FrameType) -> str | None:
    """The dotted module name of a frame's code when it is citebot's own, else None."""
    path = Path(frame.f_code.co_filename)
    try:
        relative = path.resolve().relative_to(ROOT)
    except ValueError:
        return None
    if relative.parts[0] not in {"bot", "ingest", "ui"}:
        return None
    name = ".".join(relative.with_suffix("").parts)
    return name.removesuffix(".__init__")


def walk(bot: Bot, question: str) -> list[tuple[str, str]]:
    """The distinct (caller, callee) crossings between modules, as 'module.function'."""
    seen: dict[tuple[str, str], None] = {}

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or frame.f_back is None:
            return
        callee, caller = module_of(frame), module_of(frame.f_back)
        if callee is None or caller is None or callee == caller or callee in UTILITIES:
            return
        seen.setdefault((f"{caller}.{frame.f_back.f_code.co_name}",
                         f"{callee}.{frame.f_code.co_name}"), None)

    sys.setprofile(profile)
    try:
        bot.ask(question)
    finally:
        sys.setprofile(None)
    return list(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("question", nargs="?", default="What does RLHF stand for?")
    args = parser.parse_args()
    bot = Bot.from_settings(model="extractive", data_dir=args.data_dir, answer_cache=False)
    bot.ask(args.question)  # the models and indexes load outside the walk
    crossings = walk(bot, args.question)
    bot.close()
    for number, (caller, callee) in enumerate(crossings, start=1):
        print(f"{number:>3}. {caller}  ->  {callee}")
    edges = {(a.rsplit(".", 1)[0], b.rsplit(".", 1)[0]) for a, b in crossings}
    modules = {m for edge in edges for m in edge}
    round_trips = sorted({tuple(sorted(e)) for e in edges if (e[1], e[0]) in edges})
    print(f"modules visited: {len(modules)}; function-to-function crossings: {len(crossings)}; "
          f"module-to-module edges: {len(edges)}; round trips (A -> B and B -> A): "
          f"{len(round_trips)} {[' <-> '.join(t) for t in round_trips]}")


if __name__ == "__main__":
    main()
