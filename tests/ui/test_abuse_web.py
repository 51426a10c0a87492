"""The abuse suite for the API's guards (issue 24 items 6 and 13): oversized JSON bodies on
``/v1/chat/completions`` and ``/mcp``, requests from other sites' pages, the published API
schema. Against the real app on loopback with the extractive backend; loops are bounded and
every request and socket has a timeout."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.api import Bot
from bot.settings import Settings
from tests.conftest import CORPUS as CORPUS_ROOT
from tests.conftest import free_port, make_settings
from tests.ui.api_helpers import launched, post_head, raw_request
from ui.guards import MAX_JSON_BODY, SameOrigin

CHAT = "/v1/chat/completions"
DOCS = "/v1/documents"
JSON = "application/json"
EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def server(built_index: Settings, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, Bot]]:
    tmp = tmp_path_factory.mktemp("abuse-web")
    shutil.copytree(built_index.data_dir, tmp / "data")
    settings = make_settings(tmp, model="extractive", index_check_s=0, port=free_port(),
                             mcp=True, answer_cache=False)
    bot = Bot(settings)
    with launched(bot) as url:
        yield url, bot


def rss_bytes() -> int:
    """This process's resident memory now (the server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def json_chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    """A chunked-encoding JSON body of ``total`` bytes that is one long string."""
    opening = b'{"model": "citebot", "messages": [{"role": "user", "content": "'
    yield b"%x\r\n%s\r\n" % (len(opening), opening)
    for _ in range(total // size):
        yield b"%x\r\n%s\r\n" % (size, b"x" * size)


@pytest.mark.parametrize("path", [CHAT, "/mcp"])
def test_a_declared_300_mb_json_body_is_a_413_before_it_is_read(
        server: tuple[str, Bot], path: str) -> None:
    started = time.monotonic()
    status, _ = raw_request(server[0], post_head(path, 300_000_000, JSON))
    seconds = time.monotonic() - started
    print(f"\n{path}: Content-Length 300,000,000 refused in {seconds * 1000:.0f} ms")
    assert status.startswith("HTTP/1.1 413"), status
    assert seconds < 5


@pytest.mark.parametrize("path", [CHAT, "/mcp"])
def test_a_300_mb_chunked_json_body_is_cut_off_at_the_limit_while_streaming(
        server: tuple[str, Bot], path: str) -> None:
    """The 300 MB body is cut off at 1 MB: the server's memory does not grow by the body."""
    before = rss_bytes()
    started = time.monotonic()
    status, sent = raw_request(server[0], post_head(path, None, JSON), json_chunks(300 << 20))
    grown = rss_bytes() - before
    print(f"\n{path}: chunked 300 MB body refused after {sent:,} bytes sent in "
          f"{time.monotonic() - started:.2f} s; server RSS +{grown / 2**20:.1f} MB")
    assert status.startswith("HTTP/1.1 413"), status
    assert sent < 50 * MAX_JSON_BODY  # answered long before the end (the rest sits in buffers)
    assert grown < 100 * 2**20


def test_the_413_for_a_json_body_says_the_limit_and_the_fix(server: tuple[str, Bot]) -> None:
    reply = httpx.post(server[0] + CHAT, content=b"x" * (MAX_JSON_BODY + 1), timeout=30,
                       headers={"content-type": JSON})
    assert reply.status_code == 413, reply.text
    message = reply.json()["error"]["message"]
    assert "1,000,000 bytes" in message and "shorter question" in message


def test_a_cross_origin_page_cannot_call_the_api(server: tuple[str, Bot]) -> None:
    url, bot = server
    before = {e.doc_id for e in bot.documents()}
    note = {"file": ("cross.md", b"# Cross\n\nA note a foreign page tried to add.\n")}
    upload = httpx.post(url + DOCS, files=note, headers={"origin": EVIL}, timeout=60)
    assert upload.status_code == 403, upload.text
    assert EVIL in upload.json()["error"]["message"]
    assert "allowed_origins" in upload.json()["error"]["message"]
    assert {e.doc_id for e in bot.documents()} == before  # nothing stored
    question = {"model": "citebot", "messages": [{"role": "user", "content": "What is RLHF?"}]}
    for path in (CHAT, "/mcp"):
        reply = httpx.post(url + path, json=question, headers={"origin": EVIL}, timeout=60)
        assert reply.status_code == 403, (path, reply.text)
    own = httpx.post(url + CHAT, json=question, headers={"origin": url}, timeout=60)
    assert own.status_code == 200, own.text  # the server's own pages, and clients with no
    bare = httpx.post(url + CHAT, json=question, timeout=60)  # Origin (SDKs, curl), pass
    assert bare.status_code == 200, bare.text


def test_allowed_origins_admit_the_named_sites_only() -> None:
    guard = SameOrigin(lambda *_: None, allowed=("https://app.example.com",))  # type: ignore[arg-type]
    assert guard._same("https://app.example.com", "127.0.0.1:8000")
    assert guard._same("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not guard._same(EVIL, "127.0.0.1:8000")
    assert not guard._same("null", "127.0.0.1:8000")  # a sandboxed page or a file:// one


def test_the_api_schema_is_not_published(server: tuple[str, Bot]) -> None:
    for path in ("/openapi.json", "/docs", "/redoc"):
        reply = httpx.get(server[0] + path, timeout=30)
        assert reply.status_code == 404, (path, reply.status_code)


def test_thirty_wrong_passwords_are_throttled_after_five(built_index: Settings) -> None:
    """A password guesser gets 5 tries per window; then a 429 with Retry-After, unchecked,
    for the right password too, until the window has passed."""
    settings = built_index.with_overrides(port=free_port(), model="extractive", mcp=False,
                                          auth_username="ada", auth_password="lovelace-1843",
                                          login_attempts=5, login_window_s=3)
    with launched(Bot(settings)) as url, httpx.Client(base_url=url, timeout=30) as web:
        started = time.monotonic()
        replies = [web.post("/login", data={"username": "ada", "password": f"guess-{i}"})
                   for i in range(30)]
        seconds = time.monotonic() - started
        statuses = [r.status_code for r in replies]
        print(f"\n30 wrong passwords in {seconds:.2f} s: {statuses.count(400)} checked (400), "
              f"{statuses.count(429)} refused unchecked (429)")
        assert statuses == [400] * 5 + [429] * 25
        assert 1 <= int(replies[-1].headers["retry-after"]) <= 3
        assert "try again in" in replies[-1].json()["error"]["message"]
        right = {"username": "ada", "password": "lovelace-1843"}
        assert web.post("/login", data=right).status_code == 429
        time.sleep(3.2)  # the window passes: the right password signs in
        assert web.post("/login", data=right).is_success


def test_document_listings_and_reports_show_no_server_paths(server: tuple[str, Bot]) -> None:
    """Paths are shown relative to folders the user knows (library/…, corpus/…): the
    server's absolute layout (its data folder, the upload's temporary folder) never leaves."""
    url, bot = server
    files = [("file", ("paths-note.md", b"# Paths\n\nA note on vector index paths.\n")),
             ("file", ("empty.md", b"\xe2\x80\x8b" * 10))]  # only zero-width spaces: skipped
    upload = httpx.post(url + DOCS, files=files, timeout=120)
    listing = httpx.get(url + DOCS, timeout=30)
    removal = httpx.delete(url + DOCS + "/paths-note", timeout=60)
    for reply in (upload, listing, removal):
        assert reply.status_code == 200, reply.text
        assert str(bot.settings.data_dir) not in reply.text
        assert str(Path(bot.settings.data_dir).resolve()) not in reply.text
        assert "citebot-upload-" not in reply.text and str(CORPUS_ROOT) not in reply.text
    by_name = {Path(f["path"]).name: f for f in upload.json()["files"]}
    assert by_name["paths-note.md"]["path"] == "paths-note.md", by_name
    skipped = by_name["empty.md"]
    assert skipped["status"] == "skipped", skipped
    assert skipped["reason"].startswith("empty.md has no text"), skipped  # not the stored copy
    sources = {e["doc_id"]: e["source"] for e in listing.json()["data"]}
    assert sources["paths-note"].startswith("library/"), sources  # the stored copy
    assert all(s.startswith(("library/", "corpus/")) for s in sources.values()), sources
