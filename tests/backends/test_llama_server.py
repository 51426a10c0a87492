"""The in-process llama.cpp server with the real Qwen2.5-Coder-1.5B model.

Clients are the real ones citebot uses: the ``openai`` SDK and LangChain's ``ChatOpenAI``.
Replies of a small model vary with wording and runtime, so only properties are checked.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import IO

import pytest
from langchain_openai import ChatOpenAI
from openai import OpenAI
from pydantic import SecretStr

from bot.backends.gguf import QWEN25_CODER_1_5B, default_cache_dir, ensure_model_file
from bot.backends.llama_server import MODEL_ALIAS, LlamaServer
from bot.backends.local import LocalGenerator
from bot.errors import ModelUnavailableError

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
QUESTION = "In one short sentence: what is the capital of France?"
# Two threads: the tests share two cores with other work, and more threads than cores
# collapse llama.cpp's throughput.
THREADS = 2


@pytest.fixture(scope="module")
def model_path() -> Path:
    # The user's model cache: assembled once (about 5 s), then trusted via its sidecar.
    return ensure_model_file(QWEN25_CODER_1_5B, default_cache_dir())


def stream_with_openai(base_url: str) -> list[str]:
    client = OpenAI(base_url=base_url, api_key="none")
    stream = client.chat.completions.create(
        model=MODEL_ALIAS,
        messages=[{"role": "user", "content": QUESTION}],
        max_tokens=24,
        temperature=0.0,
        stream=True,
    )
    return [c.choices[0].delta.content or "" for c in stream if c.choices]


def port_is_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class TestInProcess:
    @pytest.fixture(scope="class")
    def server(self, local_model: LocalGenerator) -> LlamaServer:
        """The run's one in-process server (tests/conftest.py's local_model, which every
        in-process model test uses): a second copy of the model here would prove no more."""
        return local_model.server()

    def test_start_returns_a_local_v1_url_that_is_healthy(self, server: LlamaServer) -> None:
        assert server.base_url is not None
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
        assert server.start() == server.base_url  # a second start does not reload
        root = server.base_url.removesuffix("/v1")
        with urllib.request.urlopen(f"{root}/health", timeout=5) as reply:
            assert json.load(reply)["status"] == "ok"
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as reply:
            assert [m["id"] for m in json.load(reply)["data"]] == [MODEL_ALIAS]

    def test_the_openai_sdk_streams_a_reply(self, server: LlamaServer) -> None:
        assert server.base_url is not None
        pieces = stream_with_openai(server.base_url)
        assert len([p for p in pieces if p]) >= 2, pieces
        assert "paris" in "".join(pieces).lower()

    def test_langchain_chat_openai_streams_a_reply(self, server: LlamaServer) -> None:
        assert server.base_url is not None
        llm = ChatOpenAI(
            base_url=server.base_url,
            api_key=SecretStr("none"),
            model="local",
            streaming=True,
            max_completion_tokens=24,  # ChatOpenAI's name for max_tokens
            temperature=0.0,
        )
        pieces = [str(chunk.content) for chunk in llm.stream(QUESTION)]
        assert len([p for p in pieces if p]) >= 2, pieces
        assert "Paris" in "".join(pieces), pieces  # the model answered, temperature 0

    def test_a_shared_prompt_prefix_is_served_from_the_cache(self, server: LlamaServer) -> None:
        assert server.base_url is not None
        client = OpenAI(base_url=server.base_url, api_key="none")
        system = "You answer questions about geography. " * 20
        cached = []
        for question in ("Capital of Italy?", "Capital of Spain?"):
            reply = client.chat.completions.create(
                model=MODEL_ALIAS,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": question},
                ],
                max_tokens=8,
            )
            timings = (reply.model_extra or {})["timings"]
            cached.append(timings["cache_n"])
        assert cached[1] > 100, cached  # the ~160-token system prompt was not recomputed


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))  # native threads too, not just Python's


def test_stop_closes_the_port_and_a_new_server_can_start(model_path: Path) -> None:
    threads_before = thread_count()
    server = LlamaServer(model_path, n_threads=THREADS)
    assert server.base_url is None and not server.running
    first = server.start()
    port = int(first.rsplit(":", 1)[1].split("/")[0])
    assert port_is_open(port)

    server.stop()
    server.stop()  # idempotent

    assert not port_is_open(port)
    assert server.base_url is None
    # llama.cpp keeps one helper thread per process after the first server; no more.
    assert thread_count() <= threads_before + 1
    with server:
        assert server.base_url is not None
        assert "".join(stream_with_openai(server.base_url)).strip()
    assert not server.running


def test_a_missing_file_is_reported_before_loading(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        LlamaServer(tmp_path / "nothing.gguf").start()


def test_a_file_that_is_not_gguf_is_reported(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(os.urandom(4096))
    with pytest.raises(ModelUnavailableError, match="GGUF"):
        LlamaServer(bogus).start()


def test_a_busy_port_is_reported(model_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ModelUnavailableError, match=str(port)):
            LlamaServer(model_path, port=port, n_threads=THREADS).start()


def read_first_line(stream: IO[str], timeout: float) -> str:
    """readline with a deadline, so a server that never gets ready fails the test."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"no ready line within {timeout}s")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_the_module_serves_in_its_own_process(
    tmp_path: Path, model_path: Path, stop_signal: signal.Signals
) -> None:
    # No --model: the module assembles (here: finds) the bundled model in --cache-dir.
    command = [
        sys.executable,
        "-m",
        "bot.backends.llama_server",
        "--cache-dir",
        str(model_path.parent),
        "--threads",
        str(THREADS),
    ]
    with (tmp_path / "stderr.log").open("w") as stderr:
        proc = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        try:
            assert proc.stdout is not None
            line = read_first_line(proc.stdout, timeout=180)
            match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+/v1)\n", line)
            assert match, line
            assert "".join(stream_with_openai(match.group(1))).strip()
            proc.send_signal(stop_signal)
            rest, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, (tmp_path / "stderr.log").read_text()
    assert rest == ""  # exactly one line on stdout
    assert f"got {stop_signal.name}" in (tmp_path / "stderr.log").read_text()
