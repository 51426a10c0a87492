"""`citebot serve` and `citebot api` as real processes: the /v1 API (through the openai SDK)
and the MCP tools are on the same port as the web page; `citebot api` serves them alone."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from openai import OpenAI

from bot.api import Bot
from bot.settings import Settings
from tests.conftest import ROOT, free_port
from tests.ui.api_helpers import assert_citations_resolve

KEY = "sk-citebot-process-77d0"


def start(command: str, settings: Settings, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``citebot <command>`` on a free loopback port over the shared index, once it answers."""
    config = tmp / f"{command}.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\ncorpus = ["{ROOT / "corpus"}"]\n')
    port = free_port()
    env = {**os.environ, "CITEBOT_API_KEY": KEY, "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "--config", str(config), command,
                             "--model", "extractive", "--port", str(port)], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {KEY}"},
                         timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    pytest.fail(f"citebot {command} did not answer on {url} within 120 s")


@pytest.fixture(scope="module")
def serve(built_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = start("serve", built_index, tmp_path_factory.mktemp("serve"))
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_citebot_serve_answers_through_the_openai_sdk(serve: str, built_index: Settings) -> None:
    client = OpenAI(base_url=serve + "/v1", api_key=KEY, max_retries=0)
    assert "citebot-extractive" in {m.id for m in client.models.list()}
    reply = client.chat.completions.create(
        model="citebot", messages=[{"role": "user", "content": "What does RLHF stand for?"}])
    extra = reply.choices[0].message.model_extra["citebot"]  # type: ignore[index]
    assert "Reinforcement Learning from Human Feedback" in extra["text"]
    assert_citations_resolve(Bot(built_index), extra["citations"])
    assert "citebot" in httpx.get(serve + "/", timeout=30).text  # the web page, same port


def test_citebot_serve_keeps_a_private_upload_cache_and_serves_nothing_from_the_shared_one(
        serve: str, tmp_path: Path) -> None:
    """A file another Gradio app left in the machine-wide /tmp/gradio is not served; this
    server's uploads go to a folder of its own (issue 24, item 13)."""
    left = Path(tempfile.gettempdir()) / "gradio" / f"citebot-test-{tmp_path.name}" / "x.txt"
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_text("another app's file")
    try:
        with httpx.Client(base_url=serve, timeout=30) as web:
            assert web.post("/login", data={"username": "me", "password": KEY}).is_success
            shared = web.get(f"/gradio_api/file={left}")
            assert shared.status_code == 403, (shared.status_code, shared.text[:200])
            upload = web.post("/gradio_api/upload",
                              files=[("files", ("mine.md", b"# Mine\n\nA note.\n"))])
            assert upload.status_code == 200, upload.text
            stored = Path(upload.json()[0])
            assert stored.name == "mine.md" and "citebot-gradio-" in str(stored), stored
            assert (stored.parents[-3].stat().st_mode & 0o077) == 0  # private: mode 0700
            assert web.get(f"/gradio_api/file={stored}").text == "# Mine\n\nA note.\n"
    finally:
        shutil.rmtree(left.parent, ignore_errors=True)


def test_citebot_serve_answers_mcp_tools(serve: str) -> None:
    async def tools() -> set[str]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
        async with http, Client(streamable_http_client(serve + "/mcp", http_client=http)) as c:
            return {tool.name for tool in (await c.list_tools()).tools}

    assert asyncio.run(tools()) == {"ask", "search"}


def test_citebot_api_serves_the_api_without_the_page(index_copy: Settings,
                                                     tmp_path: Path) -> None:
    # its own copy: the serve fixture holds the shared store's write lock meanwhile
    proc, url = start("api", index_copy, tmp_path)
    try:
        client = OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0)
        stream = client.chat.completions.create(
            model="citebot", stream=True,
            messages=[{"role": "user", "content": "What does RLHF stand for?"}])
        text = "".join(c.choices[0].delta.content or "" for c in stream)
        assert "Reinforcement Learning from Human Feedback" in text and "Sources:" in text
        assert httpx.get(url + "/", timeout=30).status_code == 404
        assert httpx.get(url + "/v1/models", timeout=30).status_code == 401  # no key
    finally:
        proc.terminate()
        proc.wait(timeout=30)
