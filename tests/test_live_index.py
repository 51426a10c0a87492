"""A live index across processes: a running `citebot serve`, and a change made elsewhere.

Embedded: a second writing process is unsafe (bot/store/lock.py), so `citebot ingest` is refused
while `citebot serve` runs, with a message naming the ways out, and an upload to the running
app is answered without a restart. Server mode: `citebot ingest` in another process writes
through the Chroma server, and the running app answers from it within seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.settings import Settings
from ingest.pipeline import ingest_corpus
from tests.conftest import CORPUS, SECOND_CORPUS, free_port, make_settings

pytestmark = pytest.mark.slow
ARTICLE = SECOND_CORPUS / "nosql-at-scale.html"
QUESTION = "Which consistency levels can a query choose in Apache Cassandra?"
KEY = "sk-live-index-31c9"


def config_for(settings: Settings, tmp: Path) -> Path:
    config = tmp / "citebot.toml"
    lines = [f'data_dir = "{settings.data_dir}"', f'corpus = ["{CORPUS}"]',
             'model = "extractive"', "index_check_s = 0.5",
             f'collection = "{settings.collection}"']
    if settings.chroma_host:
        lines += [f'chroma_host = "{settings.chroma_host}"',
                  f"chroma_port = {settings.chroma_port}"]
    config.write_text("\n".join(lines) + "\n")
    return config


def citebot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=300, env=_env())


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_")}
    return {**env, "CITEBOT_API_KEY": KEY, "GRADIO_ANALYTICS_ENABLED": "False"}


@contextmanager
def serving(config: Path) -> Iterator[tuple[str, int]]:
    """`citebot serve` as its own process; yields its URL and pid once /v1 answers."""
    port = free_port()
    log = (config.parent / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "--config", str(config), "serve",
                             "--port", str(port)], env=_env(), stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while ask_reply(url) is None:
            assert proc.poll() is None, (config.parent / "serve.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "citebot serve did not answer within 120 s"
            time.sleep(0.5)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def ask_reply(url: str, question: str = "What does RLHF stand for?") -> dict[str, Any] | None:
    """The citebot part of the answer to ``question`` from the running app, or None."""
    try:
        reply = httpx.post(url + "/v1/chat/completions", timeout=60,
                           headers={"Authorization": f"Bearer {KEY}"},
                           json={"model": "citebot-extractive",
                                 "messages": [{"role": "user", "content": question}]})
    except httpx.HTTPError:
        return None
    if reply.status_code != 200:
        return None
    return dict(reply.json()["choices"][0]["message"]["citebot"])


def answered_from_article(url: str, since: float, timeout: float = 60) -> float:
    """Seconds from ``since`` to the first answer that cites the new article."""
    while True:
        reply = ask_reply(url, QUESTION)
        if reply and not reply["abstained"] and "QUORUM" in reply["text"] and any(
                c["doc_id"] == "nosql-at-scale" for c in reply["citations"]):
            return time.monotonic() - since
        assert time.monotonic() - since < timeout, f"still not answered: {reply}"
        time.sleep(0.2)


def test_embedded_a_second_writer_is_refused_and_uploads_go_live(index_copy: Settings,
                                                                  tmp_path: Path) -> None:
    config = config_for(index_copy, tmp_path)
    with serving(config) as (url, pid):
        before = ask_reply(url, QUESTION)
        assert before is not None and before["abstained"]
        refused = citebot(config, "ingest", str(ARTICLE))
        assert refused.returncode == 1
        assert f"is being written by citebot process {pid} (`cli.py" in refused.stderr
        assert "Library tab" in refused.stderr and "chroma run --path" in refused.stderr
        listed = httpx.get(url + "/v1/documents", headers={"Authorization": f"Bearer {KEY}"})
        assert len(listed.json()["data"]) == 4  # the refused run changed nothing
        upload = httpx.post(url + "/v1/documents", timeout=120,
                            headers={"Authorization": f"Bearer {KEY}"},
                            files=[("file", (ARTICLE.name, ARTICLE.read_bytes()))])
        done = time.monotonic()
        assert upload.status_code == 200 and upload.json()["files"][0]["status"] == "added"
        seconds = answered_from_article(url, done)
        print(f"\nembedded: upload end -> first answer citing it: {seconds:.2f} s")
    listed = citebot(config, "docs", "list")  # the app has stopped: the lock is free again
    assert listed.returncode == 0 and "nosql-at-scale" in listed.stdout


def test_server_mode_an_ingest_in_another_process_is_answered_live(
        chroma_server: int, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=chroma_server,
                             collection="live")
    ingest_corpus(settings, [next(CORPUS.glob("000_*.txt"))])  # one seed article: quick
    config = config_for(settings, tmp_path)
    with serving(config) as (url, _):
        before = ask_reply(url, QUESTION)
        assert before is not None and before["abstained"]
        added = citebot(config, "ingest", str(ARTICLE))
        done = time.monotonic()
        assert added.returncode == 0, added.stderr
        assert "1 added" in added.stdout and "now holds 2 documents" in added.stdout
        seconds = answered_from_article(url, done)
        print(f"\nserver mode: ingest end (other process) -> first answer citing it: "
              f"{seconds:.2f} s")
        removed = citebot(config, "docs", "remove", "nosql-at-scale")
        assert removed.returncode == 0 and "1 removed" in removed.stdout
        deadline = time.monotonic() + 60
        while not (reply := ask_reply(url, QUESTION)) or not reply["abstained"]:
            assert time.monotonic() < deadline, "the removed article still answers"
            time.sleep(0.2)
