"""Shared fixtures: real components only (the packaged embedder, real Chroma, real corpus)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

# Before any model library is imported: never reach for a hub, never spin-wait on 2 cores.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from bot.backends.base import Generator
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SECOND_CORPUS = ROOT / "tests" / "data" / "sqlnosql"
SEED_CHUNKS = 90
"""The four seed articles at the default chunk size: 13 + 29 + 27 + 21 chunks (each test that
ingests them checks this count, so a chunker change that loses or adds text shows up)."""


def make_settings(tmp: Path, **overrides: object) -> Settings:
    """Settings isolated in ``tmp``: no citebot.toml, no CITEBOT_* from the caller's shell, and
    evaluation reports written there too (never into the checkout's eval-report/)."""
    values = {"data_dir": tmp / "data", "corpus": (CORPUS,), "report_dir": tmp / "eval-report",
              "cache_dir": Path.home() / ".cache" / "citebot", **overrides}
    return load_settings(values, environ={}, config_file=_empty_toml(tmp))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _empty_toml(tmp: Path) -> Path:
    path = tmp / "citebot.toml"
    if not path.exists():
        path.write_text("")
    return path


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the seed corpus that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session", autouse=True)
def embedding_memo() -> Iterator[dict[tuple[str, str], Any]]:
    """The real embedder, each distinct text embedded once per run (in this process).

    The seed articles are ingested by many tests and the same passages are cited again and
    again; their vectors are the real model's, remembered by (model, text) and handed out as
    the model gave them. A text never seen before is embedded by the model as usual, so
    every test still gets real vectors; subprocesses embed for themselves."""
    import numpy as np

    from bot.backends.embedders import SentenceTransformerEmbedder

    real = SentenceTransformerEmbedder._encode
    memo: dict[tuple[str, str], Any] = {}

    def remembered(self: SentenceTransformerEmbedder, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if (self.model_id, t) not in memo]
        for text, vector in zip(missing, real(self, missing), strict=True):
            memo[(self.model_id, text)] = np.asarray(vector, dtype=np.float32)
        return [memo[(self.model_id, t)].tolist() for t in texts]

    SentenceTransformerEmbedder._encode = remembered  # type: ignore[method-assign]
    yield memo
    SentenceTransformerEmbedder._encode = real  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The seed corpus ingested once into an embedded store, shared by read-only tests."""
    from ingest.pipeline import ingest_corpus

    tmp = tmp_path_factory.mktemp("index")
    settings = make_settings(tmp)
    ingest_corpus(settings)
    yield settings


@pytest.fixture
def index_copy(built_index: Settings, tmp_path: Path) -> Settings:
    """A private copy of the built seed index that a test may change (extractive answers,
    index changes looked for on every use)."""
    shutil.copytree(built_index.data_dir, tmp_path / "data")
    return make_settings(tmp_path, model="extractive", index_check_s=0)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real `chroma run` on a free loopback port, for the tests of server mode."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={"ANONYMIZED_TELEMETRY": "False",
                                                             "PATH": "/usr/bin:/bin"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma run did not start within 60 s")
    yield port
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="session")
def model_server() -> Iterator[str]:
    """`python -m bot.backends.llama_server` in its own process with the packaged model,
    started once per run and shared by every test that talks to a model server over HTTP
    (its OpenAI-compatible /v1 URL). Tests that stop or signal a server start their own."""
    proc = subprocess.Popen([sys.executable, "-m", "bot.backends.llama_server", "--threads", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the model is loaded and /health answers
    assert line.startswith("listening on "), line
    yield line.removeprefix("listening on ").strip()
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="session")
def local_model(built_index: Settings) -> Iterator[Any]:
    """The real local LLM (llama.cpp in this process), loaded once for the whole run."""
    from bot.backends.local import LocalGenerator

    generator = LocalGenerator(built_index)
    generator.client()
    yield generator
    generator.close()


class MemoGenerator(Generator):
    """A generator that answers a request it has already answered this run from memory.

    Keyed by everything the model sees (messages, temperature, token limit, stops), so only
    an identical prompt is replayed; the first time, the pieces stream from the real model
    as they come. For tests where the model's answer is the point, not its timing."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.memo: dict[tuple[Any, ...], list[Any]] = {}
        self.generated = 0

    def stream(self, request: Any) -> Iterator[Any]:
        key = (request.messages, request.temperature, request.max_tokens, request.stop)
        if key in self.memo:
            yield from self.memo[key]
            return
        pieces = []
        for piece in self.inner.stream(request):
            pieces.append(piece)
            yield piece
        self.generated += 1
        self.memo[key] = pieces

    def check(self) -> Any:
        return self.inner.check()


@pytest.fixture(scope="session")
def model_memo(local_model: Any) -> MemoGenerator:
    """The real local LLM, each distinct prompt generated once per run (shared by tests that
    ask the same questions, e.g. the RLHF one)."""
    return MemoGenerator(local_model)


def copy_index(source: Settings, target: Path) -> None:
    """Copy a built index's data directory into ``target`` (ingesting on top of it then
    embeds only the chunks the copy lacks: chunk ids are content hashes)."""
    shutil.copytree(source.data_dir, target)


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without running native destructors. After a full run (all servers stopped,
    every test passed), llama.cpp's runtime sometimes aborts in its static teardown
    ("terminate called without an active exception", exit 134), which would turn a
    green run red. The status pytest decided is kept; output is flushed first."""
    if _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
