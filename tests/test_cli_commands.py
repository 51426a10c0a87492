"""`citebot chat`, `doctor`, `serve` and `run`: each as its user meets it (click's runner for
the conversational ones, a real subprocess and a real HTTP client for the servers)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.settings import Settings
from tests.conftest import CORPUS, ROOT, SEED_CHUNKS, free_port
from ui.cli import main


def config(tmp_path: Path, data_dir: Path, extra: str = "") -> str:
    path = tmp_path / "citebot.toml"
    path.write_text(f'data_dir = "{data_dir}"\ncorpus = ["{CORPUS}"]\n'
                    f'report_dir = "{tmp_path / "reports"}"\n{extra}')
    return str(path)


def test_chat_follow_up_keeps_the_conversation(tmp_path: Path, built_index: Settings) -> None:
    cfg = config(tmp_path, built_index.data_dir)
    said = "What is generative AI?\nAnd what are its applications?\n\n"
    result = CliRunner().invoke(main, ["--config", cfg, "chat", "--model", "extractive"],
                                input=said, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    first, second = result.output.split("searched for: ")[1:3]
    assert first.startswith("What is generative AI? | model extractive")
    assert second.startswith("What are generative AI's applications? | model extractive")
    answers = result.output.split("bot> ")[1:]
    assert len(answers) == 2 and all("[VERIFIED]" in a or "[ANSWER]" in a for a in answers)
    assert "application" in answers[1].lower() and "[1]" in answers[1]


def test_doctor_names_what_works_and_what_to_fix(tmp_path: Path, built_index: Settings) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"
    cfg = config(tmp_path, built_index.data_dir, f'openai_base_url = "{down}"\n')
    result = CliRunner().invoke(main, ["--config", cfg, "doctor"], catch_exceptions=False)
    lines = result.output.splitlines()
    assert result.exit_code == 1 and lines[-1] == "Error: 1 problem(s) found"
    assert any(line.startswith("ok    embedder ") for line in lines)
    assert any(line.startswith("ok    index ") and line.endswith(f": {SEED_CHUNKS} chunks")
               for line in lines), lines
    assert f"FIX   model 'openai': {down} is unreachable (ConnectError)" in lines
    assert any(line.startswith("ok    model 'extractive'") for line in lines)

    (tmp_path / "x").mkdir()
    empty = config(tmp_path / "x", tmp_path / "empty")
    result = CliRunner().invoke(main, ["--config", empty, "doctor"], catch_exceptions=False)
    assert result.exit_code == 1
    assert any(line.startswith("FIX   ") and "citebot ingest" in line
               for line in result.output.splitlines()), result.output


Start = Callable[..., tuple["subprocess.Popen[str]", str]]


@pytest.fixture
def start() -> Iterator[Start]:
    """Start `citebot <command>` as a user would, and return it with its URL; stops it
    afterwards."""
    procs: list[subprocess.Popen[str]] = []
    base = [sys.executable, "-m", "ui.cli", "--config"]

    def start(*args: str) -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen([*base, *args], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                env={**_env(), "GRADIO_ANALYTICS_ENABLED": "False"})
        procs.append(proc)
        return proc, _wait_for_url(proc)

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_")}


def _wait_for_url(proc: subprocess.Popen[str], timeout: float = 300) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith("citebot is at "):
            return line.removeprefix("citebot is at ").split()[0]
    raise AssertionError("no 'citebot is at' line:\n" + "".join(seen))


def test_run_ingests_then_serves_and_serve_reuses_the_index(start: Start,
                                                             tmp_path: Path) -> None:
    port = free_port()
    cfg = config(tmp_path, tmp_path / "data")
    proc, url = start(cfg, "run", "--model", "extractive", "--port", str(port))
    assert url == f"http://127.0.0.1:{port}"
    _assert_answers(url)
    proc.terminate()
    proc.wait(timeout=30)
    assert (tmp_path / "data").is_dir()  # run built the index there

    port = free_port()
    _, url = start(cfg, "serve", "--model", "extractive", "--port", str(port))
    assert url == f"http://127.0.0.1:{port}"  # serve on its own honours --port too
    _assert_answers(url)


def _assert_answers(url: str) -> None:
    from gradio_client import Client

    deadline = time.monotonic() + 120  # "citebot is at" is printed just before it listens
    while True:
        try:
            assert httpx.get(url + "/", timeout=30).status_code == 200
            break
        except httpx.ConnectError:
            assert time.monotonic() < deadline, f"nothing listens at {url}"
            time.sleep(0.5)
    reply = Client(url + "/", verbose=False).predict("What does RLHF stand for?", "extractive",
                                                      5, api_name="/ask")
    assert "Reinforcement Learning from Human Feedback" in reply["text"]
    assert reply["citations"] and not reply["abstained"]
