"""How does the web app hold up when several people ask at once, and what do the answer
cache and the quick-answer fallback buy?

For every configuration × mix × number of users it starts the real app (real index, real
model; one loaded model shared by all runs) on a free loopback port and runs USERS threads,
each with its own gradio_client ``Client``, each asking PER_USER questions through the
``/ask`` API, all starting together. Every reply is classed as ok (a complete answer whose
[n] markers all resolve, or the no-answer sentence), queue-full (a clean refusal) or error
(anything else, including a hang past the overall timeout).

Configurations: ``today`` (no cache, no fallback: the app before the cache existed),
``cache`` (answer cache on), ``fallback`` (fallback_after_s set), ``cache+fallback``.
Mixes: ``different`` (every question different, from corpus/questions.jsonl) and
``repeats`` (every third request is one of the app's example questions). Each figure is
also given as a ratio against ``today`` at the same mix and number of users, in this run.

    .venv/bin/python benchmarks/load.py [--users 1,4,8,16] [--mixes different,repeats]
        [--configs today,cache,fallback] [--fallback-after 10] [--model local]
    .venv/bin/python benchmarks/load.py --topology --configs cache --users 8   # ui/topology.py

Writes benchmarks/results/load.json and docs/perf/load.md (a section per kind of run).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import common  # sets the offline environment; model libraries load later, in functions

NO_ANSWER = "The sources don't cover this."
_MARKER = re.compile(r"\[(\d+)\]")
CONFIGS = ("today", "cache", "fallback", "cache+fallback")


@dataclass
class Outcome:
    """One request as its user saw it."""

    user: int
    question: str
    repeat: bool
    kind: str  # ok | queue-full | error
    seconds: float
    detail: str = ""
    model: str = ""
    fallback: str = ""
    cached: bool = False
    abstained: bool = False
    tokens: dict[str, int] = field(default_factory=dict)


def classify(reply: Any) -> tuple[str, str]:
    """``("ok", "")`` for a complete answer with valid markers or the no-answer sentence,
    else ``("error", why)``."""
    if not isinstance(reply, dict):
        return "error", f"not an answer: {str(reply)[:200]}"
    if "text" not in reply:
        message = str(reply.get("error", reply))
        return ("queue-full", message) if "queue is full" in message.lower() else (
            "error", message[:200])
    text, numbers = reply["text"], {c["number"] for c in reply["citations"]}
    if not text.strip() or not reply["complete"] or reply["error"]:
        return "error", f"incomplete: {reply['error'] or 'empty text'}"
    if reply["abstained"]:
        return ("ok", "") if text.startswith(NO_ANSWER) else ("error", "bad abstention")
    bad = {int(n) for n in _MARKER.findall(text)} - numbers
    if not numbers or bad:
        return "error", f"citation markers {sorted(bad)} resolve to nothing: {text[:120]}"
    return "ok", ""


def ask_once(client: Any, user: int, question: tuple[str, bool], deadline: float) -> Outcome:
    from gradio_client.utils import QueueError

    text, repeat = question
    started = time.perf_counter()
    try:
        reply = client.submit(text, "", 0, api_name="/ask").result(
            timeout=max(1.0, deadline - time.monotonic()))
    except QueueError as exc:
        return Outcome(user, text, repeat, "queue-full", time.perf_counter() - started, str(exc))
    except Exception as exc:  # whatever else the client raises counts as an error
        return Outcome(user, text, repeat, "error", time.perf_counter() - started,
                       f"{type(exc).__name__}: {exc}"[:200])
    kind, detail = classify(reply)
    answer = reply if isinstance(reply, dict) else {}
    return Outcome(user, text, repeat, kind, time.perf_counter() - started, detail,
                   str(answer.get("model", "")), str(answer.get("fallback", "")),
                   bool(answer.get("cached")), bool(answer.get("abstained")),
                   dict(answer.get("tokens") or {}))


def run_users(urls: Sequence[str], questions: list[list[tuple[str, bool]]],
              timeout: float) -> list[Outcome]:
    """Every user (its own Client, on app ``user % len(urls)``) asks its questions one after
    another; all users start together. Requests unfinished at ``timeout`` are errors."""
    from gradio_client import Client

    deadline = time.monotonic() + timeout
    start = threading.Barrier(len(questions))

    def user(number: int, mine: list[tuple[str, bool]]) -> list[Outcome]:
        # httpx's 5 s default is too short for posting a question to a 2-core machine at load
        client = Client(urls[number % len(urls)], verbose=False, httpx_kwargs={"timeout": 60})
        start.wait(timeout=120)
        return [ask_once(client, number, q, deadline) for q in mine]

    with ThreadPoolExecutor(len(questions)) as pool:
        futures = [pool.submit(user, n, mine) for n, mine in enumerate(questions)]
        done, pending = wait(futures, timeout=timeout + 30)
        outcomes = [o for f in done for o in f.result()]
        for number, future in enumerate(futures):
            if future in pending:
                outcomes.append(Outcome(number, "", False, "error", timeout, "hang: no reply"))
    return outcomes


def questions_for(users: int, per_user: int, mix: str) -> list[list[tuple[str, bool]]]:
    """Each user's questions, as ``(question, is_repeat)``. Request ``n`` is user
    ``n % users``'s question ``n // users``, so requests are numbered in the order they are
    asked. ``different``: every question different (single-turn questions of the evaluation
    set). ``repeats``: every third request repeats one of the app's example questions, the
    others are different questions, the first four of them the examples' first asks."""
    from ui.app import EXAMPLES

    rows = [json.loads(line) for line in
            (common.ROOT / "corpus" / "questions.jsonl").read_text().splitlines() if line.strip()]
    pool = [r["question"] for r in rows if not r.get("history") and r["question"] not in EXAMPLES]
    if mix == "repeats":
        pool = [*EXAMPLES, *pool]
    out: list[list[tuple[str, bool]]] = [[] for _ in range(users)]
    fresh = 0
    for n in range(users * per_user):
        if mix == "repeats" and n % 3 == 2:
            question = (EXAMPLES[(n // 3) % len(EXAMPLES)], True)
        else:
            question, fresh = (pool[fresh % len(pool)], False), fresh + 1
        out[n % users].append(question)
    return out


def summarise(outcomes: list[Outcome], wall: float, model: str) -> dict[str, Any]:
    ok = [o for o in outcomes if o.kind == "ok"]
    fallbacks = [o for o in ok if o.model != model]
    generated = [o for o in ok if o.tokens and not o.cached]
    latency = common.spread([o.seconds for o in ok], 1)

    def mean_tokens(name: str) -> float | None:
        values = [o.tokens.get(name, 0) for o in generated]
        return round(sum(values) / len(values)) if values else None

    return {"requests": len(outcomes), "ok": len(ok), "abstained": sum(o.abstained for o in ok),
            "queue_full": sum(o.kind == "queue-full" for o in outcomes),
            "errors": sum(o.kind == "error" for o in outcomes),
            "cached": sum(o.cached for o in ok), "fallback": len(fallbacks),
            "fallback_unlabelled": sum(not o.fallback for o in fallbacks),
            "wall_seconds": round(wall, 1),
            "throughput_per_min": round(60 * len(ok) / wall, 2) if wall else 0.0,
            "latency_p50": latency["p50"], "latency_p95": latency["p95"],
            "latency_max": latency["max"],
            "prompt_new": mean_tokens("prompt_new"), "prompt_cached": mean_tokens("prompt_cached"),
            "generated": mean_tokens("generated")}


# -- the apps under test -----------------------------------------------------------------------
def config_overrides(config: str, fallback_after: float) -> dict[str, Any]:
    return {"answer_cache": "cache" in config,
            "fallback_after_s": fallback_after if "fallback" in config else None}


@contextmanager
def in_process(args: argparse.Namespace) -> Iterator[Any]:
    """Yields ``serve(config)``: a context manager giving the app's URL for one run, each
    run a fresh Bot (empty cache and line) over one loaded model and one index."""
    from bot.api import Bot
    from bot.settings import load_settings
    from ingest.pipeline import ingest_corpus
    from ui.app import build_app, launch

    base = load_settings({"host": "127.0.0.1", "model": args.model, "queue_size": 256,
                          **({"data_dir": args.data_dir} if args.data_dir else {})})
    ingest_corpus(base)  # idempotent: nothing to embed when the index is current
    warm = Bot(base)
    warm.ask("What does RLHF stand for?", cache=False)  # embedder, store and model loaded
    generators = {args.model: warm.generator()}

    @contextmanager
    def serve(config: str) -> Iterator[list[str]]:
        settings = base.with_overrides(port=common.free_port(),
                                       **config_overrides(config, args.fallback_after))
        bot = Bot(settings, generators=generators)
        app = build_app(bot)
        launch(app, bot, block=False, quiet=True)
        try:
            yield [f"http://127.0.0.1:{settings.port}/"]
        finally:
            app.close()

    try:
        yield serve
    finally:
        warm.close()


@contextmanager
def topology(args: argparse.Namespace) -> Iterator[Any]:
    """Yields ``serve(config)``: the multi-process topology (ui/topology.py: a Chroma server,
    the model server, two apps) started for one configuration, stopped after it."""
    import os

    from ui import topology as topo

    @contextmanager
    def serve(config: str) -> Iterator[list[str]]:
        overrides = config_overrides(config, args.fallback_after)
        env = {"CITEBOT_ANSWER_CACHE": str(overrides["answer_cache"]).lower(),
               "CITEBOT_QUEUE_SIZE": "256"}
        if overrides["fallback_after_s"]:
            env["CITEBOT_FALLBACK_AFTER_S"] = str(overrides["fallback_after_s"])
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the apps read CITEBOT_* over their citebot.toml
        folder = Path(tempfile.mkdtemp(prefix="citebot-load-topology-"))
        try:
            parts = topo.up(folder, apps=2)
            yield [p.url + "/" for p in parts if p.name.startswith("app")]
        finally:
            topo.down(folder)
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.update({key: value})

    yield serve


# -- the run -----------------------------------------------------------------------------------
def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with (topology(args) if args.topology else in_process(args)) as serve:
        for config in args.configs:
            for mix in args.mixes:
                for users in args.users:
                    with serve(config) as urls:
                        questions = questions_for(users, args.per_user, mix)
                        started = time.perf_counter()
                        outcomes = run_users(urls, questions, args.timeout)
                        wall = time.perf_counter() - started
                    repeats = sum(r for mine in questions for _, r in mine)
                    row = {"config": config, "mix": mix, "users": users, "repeats": repeats,
                           **summarise(outcomes, wall, args.model_name),
                           "outcomes": [asdict(o) for o in outcomes]}
                    print(line(row), flush=True)
                    rows.append(row)
    return with_ratios(rows)


def with_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Throughput and p95 as ratios against ``today`` at the same mix and users."""
    base = {(r["mix"], r["users"]): r for r in rows if r["config"] == "today"}
    for row in rows:
        ref = base.get((row["mix"], row["users"]))
        row["throughput_ratio"] = common.ratio(row["throughput_per_min"],
                                               ref["throughput_per_min"]) if ref else None
        row["p95_ratio"] = common.ratio(row["latency_p95"], ref["latency_p95"]) if ref else None
    return rows


HEADERS = ("config", "mix", "users", "repeats", "ok / requests", "queue-full", "errors", "cached",
           "fallback (unlabelled)", "answers/min", "× today", "p50 s", "p95 s", "p95 × today",
           "tokens: prompt new / cached / generated")


def cells(row: dict[str, Any]) -> list[Any]:
    return [row["config"], row["mix"], row["users"], row["repeats"],
            f"{row['ok']} / {row['requests']}",
            row["queue_full"], row["errors"], row["cached"],
            f"{row['fallback']} ({row['fallback_unlabelled']})", row["throughput_per_min"],
            row.get("throughput_ratio"), row["latency_p50"], row["latency_p95"],
            row.get("p95_ratio"),
            f"{row['prompt_new']} / {row['prompt_cached']} / {row['generated']}"]


def line(row: dict[str, Any]) -> str:
    return "  ".join(f"{h}={c}" for h, c in zip(HEADERS, cells(row), strict=True))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="1,4,8,16", help="comma-separated user counts")
    parser.add_argument("--per-user", type=int, default=2, help="questions each user asks")
    parser.add_argument("--mixes", default="different,repeats")
    parser.add_argument("--configs", default="today,cache,fallback",
                        help=f"comma-separated, of: {', '.join(CONFIGS)}")
    parser.add_argument("--fallback-after", type=float, default=10.0,
                        help="fallback_after_s of the fallback configurations")
    parser.add_argument("--model", default="local", help="local, extractive or openai")
    parser.add_argument("--topology", action="store_true",
                        help="against ui/topology.py (2 apps, model and Chroma servers)")
    parser.add_argument("--timeout", type=float, default=1800, help="per run, seconds")
    parser.add_argument("--data-dir", type=Path, help="index folder (default: the settings')")
    parser.add_argument("--out", type=Path, help="JSON (default benchmarks/results/load.json)")
    parser.add_argument("--markdown", type=Path, default=common.PERF_DOCS / "load.md")
    args = parser.parse_args(argv)
    args.users = [int(u) for u in args.users.split(",")]
    args.mixes = args.mixes.split(",")
    args.configs = args.configs.split(",")
    if unknown := set(args.configs) - set(CONFIGS):
        parser.error(f"unknown configuration(s) {sorted(unknown)}; choose from {CONFIGS}")
    # The topology's apps reach the model through the openai backend.
    args.model_name = "openai" if args.topology else args.model
    kind = "topology" if args.topology else args.model
    args.out = args.out or common.RESULTS / f"load-{kind}.json"
    args.section = f"load-{kind}-{args.per_user}q"  # runs of other sizes keep their tables
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    machine = common.machine()
    rows = measure(args)
    summary_rows = [cells(r) for r in rows]
    print()
    print(common.text_table(HEADERS, summary_rows))
    where = "the multi-process topology (2 apps)" if args.topology else f"one app, {args.model}"
    body = "\n\n".join([
        f"## {where}: {args.per_user} questions per user, fallback after "
        f"{args.fallback_after:g} s", common.markdown_table(HEADERS, summary_rows),
        f"Measured {time.strftime('%Y-%m-%d')} by `benchmarks/load.py`; "
        f"{common.machine_line(machine)}. \"fallback\" counts answers given by the extractive "
        "backend because the model was busy; \"unlabelled\" those without their label "
        "(must be 0). Tokens are means over the answers the model wrote."])
    common.write_section(args.markdown, args.section, body, "Load: many people at once")
    common.write_json(args.out, {"machine": machine, "args": {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "runs": rows})
    print(f"wrote {args.out} and {args.markdown}")
    raise SystemExit(1 if any(r["errors"] or r["fallback_unlabelled"] for r in rows) else 0)


if __name__ == "__main__":
    main()
