"""The abuse suite for uploads (issue 24 items 3, 5, 6, 10): each test tries what a hostile or
careless client did to ``POST /v1/documents`` or Gradio's upload route, against the real app
on loopback with the extractive backend, and is named by what it tries. Loops are bounded and
every request and socket has a timeout."""

from __future__ import annotations

import asyncio
import io
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.datastructures import UploadFile

from bot.api import Bot
from bot.errors import InputError
from bot.settings import Settings
from bot.store.lock import writing
from tests.conftest import free_port, make_settings
from tests.ui.api_helpers import post_head, raw_request
from ui.upload_intake import UploadLine, body_limit, gradio_file_limit, save

DOCS = "/v1/documents"
CHAT = "/v1/chat/completions"
FILE_LIMIT = 200_000
QUEUE = 45  # more than the 40 worker threads: waiting uploads must hold none
SEED = "revechat-llm-vs-genai"
NOTE = b"# Queued\n\nA short note about vector databases and their indexes.\n"


@dataclass(frozen=True)
class Server:
    url: str
    bot: Bot
    line: UploadLine  # the server's own, to see how many uploads it has taken


@pytest.fixture(scope="module")
def server(built_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from ui.app import build_app, launch

    tmp = tmp_path_factory.mktemp("abuse-uploads")
    shutil.copytree(built_index.data_dir, tmp / "data")
    settings = make_settings(tmp, model="extractive", index_check_s=0, port=free_port(),
                             max_upload_bytes=FILE_LIMIT, upload_queue=QUEUE,
                             answer_cache=False)  # every chat answered, none remembered
    bot = Bot(settings)
    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    try:
        route = next(r for r in app.server_app.routes
                     if getattr(r, "path", "") == DOCS and "POST" in (r.methods or ()))
        yield Server(f"http://127.0.0.1:{settings.port}", bot, route.endpoint.__self__.line)
    finally:
        app.close()


def multipart(*files: tuple[bytes, bytes]) -> tuple[bytes, str]:
    """A multipart body built by hand, so file names reach the server byte for byte."""
    boundary = "citebot-abuse-boundary"
    body = b"".join(b"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                    b"Content-Type: text/markdown\r\n\r\n%s\r\n" % (boundary.encode(), n, d)
                    for n, d in files)
    return body + b"--%s--\r\n" % boundary.encode(), f"multipart/form-data; boundary={boundary}"


def chunks(count: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A chunked-encoding multipart body: one file that never ends, ``count`` chunks."""
    yield b"%x\r\n%s\r\n" % (len(OPEN_PART), OPEN_PART)
    for _ in range(count):
        yield b"%x\r\n%s\r\n" % (size, b"x" * size)


OPEN_PART = (b"--citebot-abuse-boundary\r\nContent-Disposition: form-data; name=\"file\"; "
             b"filename=\"big.md\"\r\n\r\n")
MULTIPART = "multipart/form-data; boundary=citebot-abuse-boundary"


def test_an_upload_named_like_a_seed_document_leaves_it_as_it_was(
        server: Server) -> None:
    url, bot = server.url, server.bot
    before = {e.doc_id: e.chunks for e in bot.documents()}
    assert before[SEED] == 27
    body, content_type = multipart((f"{SEED}.md".encode(), b"# Mine\n\nNot the article.\n"))
    reply = httpx.post(url + DOCS, content=body, headers={"content-type": content_type},
                       timeout=120)
    assert reply.status_code == 200, reply.text
    result = reply.json()
    assert [f["doc_id"] for f in result["files"]] == [f"{SEED}-upload"]
    assert any(f"'{SEED}-upload'" in n and "left as it was" in n for n in result["notes"])
    after = {e.doc_id: e.chunks for e in bot.documents()}
    assert after[SEED] == 27 and after[f"{SEED}-upload"] >= 1
    assert {k: v for k, v in after.items() if k != f"{SEED}-upload"} == before
    bot.reindex()  # the library's copy is read again under its own doc_id
    assert {e.doc_id: e.chunks for e in bot.documents()} == after


def send_upload(url: str, results: list[int]) -> None:
    body, content_type = multipart((b"queued.md", NOTE))
    reply = httpx.post(url + DOCS, content=body, headers={"content-type": content_type},
                       timeout=300)
    results.append(reply.status_code)


def chat_seconds(url: str) -> float:
    started = time.monotonic()
    reply = httpx.post(url + CHAT, timeout=60, json={
        "model": "citebot", "messages": [{"role": "user", "content": "What does RLHF stand for?"}]})
    assert reply.status_code == 200, reply.text
    return time.monotonic() - started


def test_a_full_upload_line_is_a_429_before_the_body_and_chat_stays_fast(
        server: Server) -> None:
    url, bot = server.url, server.bot
    chat_seconds(url)  # warm: the first answer loads what answering needs
    baseline = chat_seconds(url)
    results: list[int] = []
    senders = [threading.Thread(target=send_upload, args=(url, results)) for _ in range(QUEUE)]
    with writing(bot.settings):  # the first upload waits on the write lock, the others in line
        for sender in senders:
            sender.start()
        deadline = time.monotonic() + 60
        while server.line.taken < QUEUE and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.line.taken == QUEUE
        queued = chat_seconds(url)
        started = time.monotonic()  # declares 1 MB it never sends: refused without it
        status, _ = raw_request(url, post_head(DOCS, 1_000_000, MULTIPART))
        refused = time.monotonic() - started
    print(f"\nchat {baseline:.2f} s alone, {queued:.2f} s with {QUEUE} uploads queued; "
          f"a full line refused in {refused * 1000:.0f} ms")
    assert status.startswith("HTTP/1.1 429"), status
    assert "retry-after: " in status.lower()
    assert queued < max(5.0, 3 * baseline), f"chat took {queued:.1f} s with uploads queued"
    for sender in senders:
        sender.join(timeout=300)
    assert results == [200] * QUEUE




def test_a_content_length_over_the_limit_is_a_413_before_the_body_is_read(
        server: Server) -> None:
    limit = body_limit(server.bot.settings)
    for path in (DOCS, "/gradio_api/upload"):
        started = time.monotonic()
        status, _ = raw_request(server.url, post_head(path, 50 * limit, MULTIPART))
        seconds = time.monotonic() - started
        print(f"\n{path}: Content-Length {50 * limit:,} refused in {seconds * 1000:.0f} ms")
        assert status.startswith("HTTP/1.1 413"), (path, status)
        assert seconds < 5


def test_a_chunked_upload_body_is_cut_off_at_its_limit_while_streaming(server: Server) -> None:
    limit = body_limit(server.bot.settings)
    pieces = 10 * limit // (64 * 1024)  # ten times the limit, if the server read it all
    for path in (DOCS, "/gradio_api/upload"):
        started = time.monotonic()
        status, sent = raw_request(server.url, post_head(path, None, MULTIPART), chunks(pieces))
        seconds = time.monotonic() - started
        print(f"\n{path}: chunked body refused after {sent:,} bytes sent in {seconds:.2f} s")
        assert status.startswith("HTTP/1.1 413"), (path, status)
        # answered long before the end (what was sent past the limit sits in socket buffers)
        assert sent < 5 * limit


def test_gradio_upload_route_refuses_a_file_over_its_size_limit(server: Server) -> None:
    too_big = gradio_file_limit(server.bot.settings) + 1
    reply = httpx.post(server.url + "/gradio_api/upload", timeout=60,
                       files=[("files", ("big.md", b"x" * too_big, "text/markdown"))])
    assert reply.status_code == 413, reply.text


def test_files_left_in_gradios_upload_cache_are_deleted_after_upload_cache_s(
        server: Server, tmp_path: Path) -> None:
    """An anonymous /gradio_api/upload no longer keeps its files for ever: with
    upload_cache_s = 1 the copy is gone within seconds."""
    from ui.app import build_app, launch

    settings = server.bot.settings.with_overrides(port=free_port(), upload_cache_s=1)
    bot = Bot(settings)
    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    try:
        reply = httpx.post(f"http://127.0.0.1:{settings.port}/gradio_api/upload", timeout=60,
                           files=[("files", ("kept.md", NOTE, "text/markdown"))])
        assert reply.status_code == 200, reply.text
        copy = Path(reply.json()[0])
        assert copy.is_file()
        started = time.monotonic()
        while copy.exists() and time.monotonic() - started < 15:
            time.sleep(0.2)
        print(f"\nGradio's upload copy deleted {time.monotonic() - started:.1f} s after upload")
        assert not copy.exists(), f"{copy} is still there after 15 s"
    finally:
        app.close()


def test_twenty_five_files_in_one_upload_is_a_400_not_a_500(server: Server) -> None:
    body, content_type = multipart(*[(f"n{i}.md".encode(), NOTE) for i in range(25)])
    reply = httpx.post(server.url + DOCS, content=body, timeout=60,
                       headers={"content-type": content_type})
    assert reply.status_code == 400, reply.text
    assert "the limit is 20" in reply.json()["error"]["message"]


@pytest.mark.parametrize("name", [b"bad\x00name.md", b"n" * 300 + b".md"])
def test_a_nul_or_overlong_upload_name_over_http_is_a_400(server: Server, name: bytes) -> None:
    before = len(server.bot.documents())
    body, content_type = multipart((name, NOTE))
    reply = httpx.post(server.url + DOCS, content=body, timeout=60,
                       headers={"content-type": content_type})
    assert reply.status_code == 400, reply.text
    assert "rename the file to a short name" in reply.json()["error"]["message"]
    assert len(server.bot.documents()) == before


@pytest.mark.parametrize("name", ["bad\x00name.md", "n" * 300 + ".md"])
def test_a_nul_or_overlong_upload_name_is_an_input_error(tmp_path: Path, name: str) -> None:
    upload = UploadFile(io.BytesIO(b"# Notes\n\ntext"), filename=name)
    with pytest.raises(InputError, match="rename the file to a short name") as refused:
        asyncio.run(save(upload, tmp_path / "0", 1000))
    assert repr(name[:60])[:-1] in str(refused.value)  # the bad name is quoted
    assert not (tmp_path / "0").exists()
