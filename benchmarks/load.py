"""How does the web app hold up when several people ask at once?

Starts the real app (real index, real model) on a free loopback port, then runs USERS
threads, each with its own gradio_client ``Client``, each asking QUESTIONS different real
questions from corpus/questions.jsonl through the ``/ask`` API, all at once. Every reply is
classed as ok (a complete answer whose [n] markers all resolve, or the no-answer sentence),
queue-full (the queue's clean refusal) or error (anything else, including a hang past the
overall timeout). Prints a table and writes benchmarks/results/load.json.

    .venv/bin/python benchmarks/load.py --users 8 --questions 2 [--model local]

The app answers 2 questions at a time (the queue's concurrency) and the local model runs
one generation at a time, so latency grows with the number of users; throughput is what
the machine can do. "first token" is measured inside the app (from the start of answering
to the first generated token, queue wait excluded): /ask returns whole answers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                      ("OMP_WAIT_POLICY", "PASSIVE"), ("GRADIO_ANALYTICS_ENABLED", "False"),
                      ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
    os.environ.setdefault(_name, _value)  # before any model library is imported

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
RESULTS = REPO_ROOT / "benchmarks" / "results" / "load.json"
NO_ANSWER = "The sources don't cover this."
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Outcome:
    """One request as its user saw it."""

    user: int
    question: str
    kind: str  # ok | queue-full | error
    seconds: float
    detail: str = ""
    first_token: float | None = None
    abstained: bool = False


def classify(reply: Any) -> tuple[str, str]:
    """``("ok", "")`` for a complete answer with valid markers or the no-answer sentence,
    else ``("error", why)``."""
    if not isinstance(reply, dict):
        return "error", f"not an answer: {str(reply)[:200]}"
    if "text" not in reply:
        return "error", str(reply.get("error", reply))[:200]
    text, numbers = reply["text"], {c["number"] for c in reply["citations"]}
    if not text.strip() or not reply["complete"] or reply["error"]:
        return "error", f"incomplete: {reply['error'] or 'empty text'}"
    if reply["abstained"]:
        return ("ok", "") if text.startswith(NO_ANSWER) else ("error", "bad abstention")
    bad = {int(n) for n in _MARKER.findall(text)} - numbers
    if not numbers or bad:
        return "error", f"citation markers {sorted(bad)} resolve to nothing: {text[:120]}"
    return "ok", ""


def ask_once(client: Any, user: int, question: str, model: str, deadline: float) -> Outcome:
    from gradio_client.utils import QueueError

    started = time.perf_counter()
    try:
        job = client.submit(question, model, 0, api_name="/ask")
        reply = job.result(timeout=max(1.0, deadline - time.monotonic()))
    except QueueError as exc:
        return Outcome(user, question, "queue-full", time.perf_counter() - started, str(exc))
    except Exception as exc:  # whatever else the client raises counts as an error
        return Outcome(user, question, "error", time.perf_counter() - started,
                       f"{type(exc).__name__}: {exc}"[:200])
    kind, detail = classify(reply)
    timings = reply.get("timings", {}) if isinstance(reply, dict) else {}
    return Outcome(user, question, kind, time.perf_counter() - started, detail,
                   timings.get("first_token"), bool(isinstance(reply, dict)
                                                    and reply.get("abstained")))


def run_users(url: str, questions: list[list[str]], model: str,
              timeout: float) -> list[Outcome]:
    """Every user (its own Client) asks its questions one after another; all users start
    together. Requests unfinished at ``timeout`` come back as errors ("hang")."""
    from gradio_client import Client

    deadline = time.monotonic() + timeout
    start = threading.Barrier(len(questions))

    def user(number: int, mine: list[str]) -> list[Outcome]:
        client = Client(url, verbose=False)
        start.wait(timeout=120)
        return [ask_once(client, number, q, model, deadline) for q in mine]

    with ThreadPoolExecutor(len(questions)) as pool:
        futures = [pool.submit(user, n, mine) for n, mine in enumerate(questions)]
        done, pending = wait(futures, timeout=timeout + 30)
        outcomes = [o for f in done for o in f.result()]
        for number, future in enumerate(futures):
            if future in pending:
                outcomes.append(Outcome(number, "", "error", timeout, "hang: no reply in time"))
    return outcomes


def real_questions(users: int, per_user: int) -> list[list[str]]:
    """Different questions for every request, from the evaluation set (single-turn ones)."""
    rows = [json.loads(line) for line in
            (REPO_ROOT / "corpus" / "questions.jsonl").read_text().splitlines() if line.strip()]
    pool = [r["question"] for r in rows if not r.get("history")]
    return [[pool[(u * per_user + i) % len(pool)] for i in range(per_user)]
            for u in range(users)]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summarise(outcomes: list[Outcome], wall: float) -> dict[str, Any]:
    ok = [o for o in outcomes if o.kind == "ok"]
    latencies = [o.seconds for o in ok]
    first = [o.first_token for o in ok if o.first_token is not None]
    return {"requests": len(outcomes), "ok": len(ok),
            "abstained": sum(o.abstained for o in ok),
            "queue_full": sum(o.kind == "queue-full" for o in outcomes),
            "errors": sum(o.kind == "error" for o in outcomes),
            "wall_seconds": round(wall, 1),
            "throughput_per_min": round(60 * len(ok) / wall, 2) if wall else 0.0,
            "latency_p50": round(percentile(latencies, 0.5), 1),
            "latency_p95": round(percentile(latencies, 0.95), 1),
            "latency_max": round(max(latencies, default=float("nan")), 1),
            "first_token_p50": round(statistics.median(first), 1) if first else None}


def print_table(summary: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\nload: {args.users} users x {args.questions} questions, model {args.model}, "
          f"queue size {args.queue_size}, load average before {summary['load_before']}")
    rows = [("requests", summary["requests"]), ("ok (of which abstained)",
            f"{summary['ok']} ({summary['abstained']})"), ("queue-full", summary["queue_full"]),
            ("errors", summary["errors"]), ("wall time, s", summary["wall_seconds"]),
            ("throughput, answers/min", summary["throughput_per_min"]),
            ("latency p50 / p95 / max, s", f"{summary['latency_p50']} / "
             f"{summary['latency_p95']} / {summary['latency_max']}"),
            ("first token p50 (in app), s", summary["first_token_p50"])]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def start_app(model: str, queue_size: int, data_dir: Path | None) -> tuple[Any, str]:
    """The real app on a free loopback port, its index brought up to date, model warmed."""
    from bot.api import Bot
    from bot.settings import load_settings
    from ingest.pipeline import ingest_corpus
    from ui.app import build_app, launch

    settings = load_settings({"port": free_port(), "model": model, "queue_size": queue_size,
                              "data_dir": data_dir, "host": "127.0.0.1"})
    ingest_corpus(settings)  # idempotent: nothing to embed when the index is current
    bot = Bot(settings)
    bot.ask("What does RLHF stand for?")  # loads the embedder, the store and the model
    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    return app, f"http://127.0.0.1:{settings.port}/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--questions", type=int, default=2, help="questions per user")
    parser.add_argument("--model", default="local", help="local, extractive or openai")
    parser.add_argument("--queue-size", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=1200, help="overall limit, seconds")
    parser.add_argument("--data-dir", type=Path, help="index folder (default: the settings')")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    app, url = start_app(args.model, args.queue_size, args.data_dir)
    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        started = time.perf_counter()
        outcomes = run_users(url, real_questions(args.users, args.questions), args.model,
                             args.timeout)
        wall = time.perf_counter() - started
    finally:
        app.close()
    summary = {**summarise(outcomes, wall), "load_before": load_before,
               "load_after": [round(x, 2) for x in os.getloadavg()]}
    print_table(summary, args)
    for outcome in outcomes:
        if outcome.kind == "error":
            print(f"  error, user {outcome.user}: {outcome.detail}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "users": args.users, "questions_per_user": args.questions, "model": args.model,
        "queue_size": args.queue_size, "cpu_count": os.cpu_count(),
        "note": f"2-core machine; load average {load_before} before, {summary['load_after']} "
                "after (anything above ~0.5 before means other work shared the CPU)",
        "summary": summary, "requests": [asdict(o) for o in outcomes]}, indent=2) + "\n")
    print(f"wrote {args.out}")
    sys.exit(1 if summary["errors"] else 0)


if __name__ == "__main__":
    main()
