"""What every benchmark shares: the offline environment, the repo on sys.path, percentiles,
the machine it ran on, the app on a free loopback port, and writing JSON and Markdown.

Import it first (``import common`` from a script in benchmarks/): the environment variables
must be set before any model library is imported. Each benchmark then reads as its
measurement alone.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                      ("OMP_WAIT_POLICY", "PASSIVE"), ("GRADIO_ANALYTICS_ENABLED", "False"),
                      ("ANONYMIZED_TELEMETRY", "False"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
    os.environ.setdefault(_name, _value)  # before any model library is imported

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PERF_DOCS = ROOT / "docs" / "perf"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# -- numbers -----------------------------------------------------------------------------------
def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.95 for p95); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def spread(values: Sequence[float], digits: int = 2) -> dict[str, float | None]:
    """p50, p95, max and mean of ``values``, rounded; None each when there are none."""
    if not values:
        return {"p50": None, "p95": None, "max": None, "mean": None}
    return {"p50": round(percentile(values, 0.5), digits),
            "p95": round(percentile(values, 0.95), digits),
            "max": round(max(values), digits),
            "mean": round(statistics.fmean(values), digits)}


def ratio(value: float | None, base: float | None, digits: int = 2) -> float | None:
    """``value / base`` rounded, or None when either is missing or the base is 0."""
    if value is None or not base:
        return None
    return round(value / base, digits)


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """``with stopwatch() as t: ...`` then ``t["seconds"]``."""
    timing: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield timing
    finally:
        timing["seconds"] = time.perf_counter() - started


# -- where it ran --------------------------------------------------------------------------------
def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """What a reader needs to judge the figures: cores, load before, Python, commit."""
    return {"cpus": os.cpu_count(), "load_average": load_average(),
            "python": platform.python_version(), "platform": platform.platform(terse=True),
            "commit": commit()}


def machine_line(info: Mapping[str, Any] | None = None) -> str:
    """One line for a Markdown table's footnote."""
    info = info or machine()
    return (f"{info['cpus']} cores, load average {info['load_average']} at the start "
            f"(anything above ~0.5 means other work shared the CPU), commit {info['commit']}")


def commit() -> str:
    """HEAD, marked ``+dirty`` when the code under test differs from it."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--", "bot", "ingest", "ui", "benchmarks")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


# -- writing results ---------------------------------------------------------------------------
def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON (folders made as needed); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub Markdown table; None shows as "–"."""
    def cell(value: Any) -> str:
        return "–" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """The same table as aligned plain text, for the terminal."""
    cells = [list(map(str, headers))] + [["–" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
                     for row in cells)


def write_section(path: Path, section: str, body: str, title: str) -> Path:
    """Replace one marked section of a Markdown file (a file can hold several runs' tables),
    creating the file under ``title`` when it does not exist yet."""
    start, end = f"<!-- {section} -->", f"<!-- /{section} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else f"# {title}\n"
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- the app -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(overrides: Mapping[str, Any], *, warm: str = "What does RLHF stand for?",
                ingest: bool = True) -> Iterator[tuple[Any, str]]:
    """The real web app in this process on a free loopback port: ``(bot, url)``.

    The index is brought up to date first (idempotent) and one question is asked so that
    the embedder, the store and the model are loaded before anything is timed."""
    from bot.api import Bot
    from bot.settings import load_settings
    from ui.app import build_app, launch

    settings = load_settings({"host": "127.0.0.1", **overrides, "port": free_port()})
    if ingest:
        from ingest.pipeline import ingest_corpus

        ingest_corpus(settings)
    bot = Bot(settings)
    if warm:
        bot.ask(warm, cache=False)
    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    try:
        yield bot, f"http://127.0.0.1:{settings.port}/"
    finally:
        app.close()
        bot.close()
