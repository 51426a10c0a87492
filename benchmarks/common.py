"""What every benchmark shares: the offline environment, the repo on sys.path, the question
set and isolated settings, timing and percentiles, the machine it ran on, memory readings, the
app and server processes on free loopback ports, and writing JSON and Markdown.

Import it first (``import common`` from a script in benchmarks/): the environment variables
must be set before any model library is imported. Each benchmark then reads as its
measurement alone.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                      ("OMP_WAIT_POLICY", "PASSIVE"), ("GRADIO_ANALYTICS_ENABLED", "False"),
                      ("ANONYMIZED_TELEMETRY", "False"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
    os.environ.setdefault(_name, _value)  # before any model library is imported

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PERF_DOCS = ROOT / "docs" / "perf"
CORPUS = ROOT / "corpus"
QUESTIONS = CORPUS / "questions.jsonl"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.evaluate import percentile  # noqa: E402  (one percentile: the evaluation's)

if TYPE_CHECKING:
    from bot.question_sets import Question
    from bot.settings import Settings

T = TypeVar("T")


# -- inputs ------------------------------------------------------------------------------------
def question_set(path: Path = QUESTIONS) -> list[Question]:
    """The evaluation questions (corpus/questions.jsonl), parsed as ``citebot eval`` does."""
    from bot.question_sets import load_questions

    return load_questions(path)


def isolated_settings(data_dir: Path, **overrides: Any) -> Settings:
    """citebot's defaults over the seed corpus with the index in ``data_dir``: no citebot.toml
    and no CITEBOT_* variables, so a run measures the defaults whatever the shell holds."""
    from bot.settings import load_settings

    return load_settings({"data_dir": data_dir, "corpus": (CORPUS,), **overrides}, environ={},
                         config_file=Path(os.devnull))


# -- numbers -----------------------------------------------------------------------------------
def spread(values: Sequence[float], digits: int = 2) -> dict[str, float | None]:
    """p50, p95, max and mean of ``values``, rounded; None each when there are none."""
    if not values:
        return {"p50": None, "p95": None, "max": None, "mean": None}
    return {"p50": round(percentile(values, 50), digits),
            "p95": round(percentile(values, 95), digits),
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


def timed(call: Callable[[], T]) -> tuple[T, float]:
    """``call()``'s result and the seconds it took."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


# -- where it ran --------------------------------------------------------------------------------
def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """What a reader needs to judge the figures: cores, load before, Python, commit."""
    return {"cpus": os.cpu_count(), "machine": platform.machine(), "load_average": load_average(),
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


def command_line(argv: Sequence[str] | None = None) -> str:
    """How this script was run, as a reader would type it again."""
    script = Path(sys.argv[0]).resolve()
    name = script.relative_to(ROOT) if script.is_relative_to(ROOT) else script
    return shlex.join([".venv/bin/python", str(name), *(sys.argv[1:] if argv is None else argv)])


# -- memory ------------------------------------------------------------------------------------
def rss_mb(pid: int | None = None, *, tree: bool = False) -> float:
    """Resident memory of a process (this one by default) in MB; with ``tree``, with all its
    children (a server that forks workers)."""
    import psutil

    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)] if tree else [proc]
    return round(sum(p.memory_info().rss for p in procs) / 2**20, 1)


def peak_rss_mb(pid: int | None = None) -> float:
    """The most resident memory a process (this one by default) has held, in MB (VmHWM)."""
    status = Path(f"/proc/{pid or 'self'}/status").read_text(encoding="utf-8")
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return round(int(kb) / 1024, 1)


# -- writing results ---------------------------------------------------------------------------
def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON (folders made as needed); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def write_text(path: Path, text: str) -> Path:
    """Write a whole text file (a Markdown report), folders made as needed; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
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
                ingest: bool = True, isolated: bool = False) -> Iterator[tuple[Any, str]]:
    """The real web app in this process on a free loopback port: ``(bot, url)``.

    The index is brought up to date first (idempotent) and one question is asked so that
    the embedder, the store and the model are loaded before anything is timed. With
    ``isolated``, the settings are :func:`isolated_settings` (``overrides`` must then name
    the ``data_dir``) instead of citebot.toml and the environment."""
    from bot.api import Bot
    from bot.settings import load_settings
    from ui.app import build_app, launch

    values = {"host": "127.0.0.1", **overrides, "port": free_port()}
    if isolated:
        settings = isolated_settings(Path(values.pop("data_dir")), **values)
    else:
        settings = load_settings(values)
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


@contextmanager
def server_process(command: Sequence[str], url: str, *, timeout: float = 120.0,
                   env: Mapping[str, str] | None = None, cwd: Path = ROOT
                   ) -> Iterator[subprocess.Popen[bytes]]:
    """A server in its own process (``chroma run``, ``citebot serve``, the llama.cpp server),
    ready once ``url`` answers below HTTP 500; stopped (SIGTERM, then SIGKILL) on exit."""
    proc = subprocess.Popen(list(command), cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=dict(env or os.environ))
    try:
        deadline = time.monotonic() + timeout
        while not _answers(url):
            if proc.poll() is not None:
                raise RuntimeError(f"{shlex.join(command)} exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{shlex.join(command)}: no answer at {url} "
                                   f"within {timeout:.0f} s")
            time.sleep(0.3)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status < 500)
    except urllib.error.HTTPError as exc:  # 503 while a model is loading
        return exc.code < 500
    except OSError:  # refused, reset, timed out
        return False


@contextmanager
def llama_server(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The bundled model in its own OpenAI-compatible server (``python -m
    bot.backends.llama_server ARGS``) on a free port: ``(process, base_url)``."""
    port = free_port()
    command = [sys.executable, "-m", "bot.backends.llama_server", *args, "--port", str(port)]
    with server_process(command, f"http://127.0.0.1:{port}/health") as proc:
        yield proc, f"http://127.0.0.1:{port}/v1"


@contextmanager
def chroma_server(path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``chroma run`` storing in ``path`` on a free loopback port: ``(process, port)``."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    command = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port",
               str(port)]
    with server_process(command, f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=90,
                        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"}) as proc:
        yield proc, port
