"""The web app binds to loopback by default, and with a login configured an unauthenticated
request gets nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.api import Bot
from bot.settings import Settings
from tests.conftest import free_port

API_KEY = "sk-auth-test-0b7e55"
SERVER_KEY = "sk-citebot-server-4c19d2"  # the key /v1 and /mcp want beside the login
QUESTION = {"data": ["What does RLHF stand for?", "extractive", 5]}


@pytest.fixture(scope="module")
def protected(built_index: Settings) -> Iterator[str]:
    from ui.app import build_app, launch

    settings = built_index.with_overrides(port=free_port(), model="extractive",
                                          auth_username="ada", auth_password="lovelace-1843",
                                          openai_api_key=API_KEY, api_key=SERVER_KEY)
    bot = Bot(settings)
    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    yield f"http://127.0.0.1:{settings.port}"
    app.close()


def test_default_bind_address_is_loopback(built_index: Settings) -> None:
    assert built_index.host == "127.0.0.1"


def test_unauthenticated_requests_get_nothing(protected: str) -> None:
    replies = [httpx.get(protected + path, timeout=10) for path in ("/config", "/gradio_api/info")]
    replies.append(httpx.post(protected + "/gradio_api/call/ask", timeout=10,
                              json={"data": ["What does RLHF stand for?", "extractive", 5]}))
    for reply in replies:
        assert reply.status_code in (401, 403), (reply.url, reply.status_code)
        assert "RLHF" not in reply.text and "citebot" not in reply.text.lower()
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    with pytest.raises(AuthenticationError, match="credentials were not provided"):
        Client(protected + "/", verbose=False).predict("What does RLHF stand for?", "", 0,
                                                       api_name="/ask")


def test_logged_in_client_gets_the_answer(protected: str) -> None:
    from gradio_client import Client

    client = Client(protected + "/", auth=("ada", "lovelace-1843"), verbose=False)
    result = client.predict("What does RLHF stand for?", "extractive", 5, api_name="/ask")
    assert "Reinforcement Learning from Human Feedback" in result["text"]


def test_the_server_listens_on_loopback_only(protected: str) -> None:
    import psutil

    port = int(protected.rsplit(":", 1)[1])
    listening = {c.laddr.ip for c in psutil.net_connections("tcp")
                 if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN}
    assert listening == {"127.0.0.1"}


def test_unauthenticated_page_queue_and_file_routes_get_nothing(protected: str) -> None:
    page = httpx.get(protected + "/", timeout=10)  # the login screen, without the app in it
    for app_text in ("RLHF", "Conversation", "Sources", "Evaluation", "Ask"):
        assert app_text not in page.text, app_text
    corpus_file = Path(__file__).resolve().parents[2] / "corpus" / "metadata.json"
    requests = [("GET", f"/gradio_api/file={corpus_file}", {}),
                ("GET", "/gradio_api/file=/etc/hostname", {}),
                ("POST", "/gradio_api/run/ask", {"json": QUESTION}),
                ("POST", "/gradio_api/queue/join",
                 {"json": {**QUESTION, "fn_index": 0, "session_hash": "intruder"}}),
                ("GET", "/gradio_api/queue/data?session_hash=intruder", {}),
                ("POST", "/gradio_api/upload", {"files": {"files": ("a.txt", b"hello")}})]
    for method, path, extra in requests:
        reply = httpx.request(method, protected + path, timeout=10, **extra)
        assert reply.status_code in (401, 403), (path, reply.status_code)
        assert "RLHF" not in reply.text and "llms-vs-genai" not in reply.text, path


def test_logged_in_config_shows_no_password_or_api_key(protected: str) -> None:
    with httpx.Client(base_url=protected, timeout=10) as client:
        assert client.post("/login", data={"username": "ada",
                                           "password": "lovelace-1843"}).status_code == 200
        for path in ("/", "/config", "/gradio_api/info"):
            reply = client.get(path)
            assert reply.status_code == 200, path
            assert "lovelace-1843" not in reply.text and API_KEY not in reply.text, path
        assert "RLHF" in client.get("/config").text  # logged in, the app really is there


def test_the_library_needs_a_login(protected: str, built_index: Settings) -> None:
    """Listing, uploading and removing documents: nothing without credentials, and the index
    is as it was (the /v1 routes want the API key; Gradio's own upload route the login)."""
    article = Path(__file__).parents[1] / "data" / "sqlnosql" / "nosql-at-scale.html"
    files = [("file", (article.name, article.read_bytes()))]
    count = Bot(built_index).store.count()
    replies = [httpx.get(protected + "/v1/documents", timeout=10),
               httpx.post(protected + "/v1/documents", files=files, timeout=10),
               httpx.delete(protected + "/v1/documents/revechat-llm-vs-genai", timeout=10),
               httpx.post(protected + "/v1/documents", files=files, timeout=10,
                          headers={"Authorization": "Bearer sk-a-guess"}),
               httpx.post(protected + "/gradio_api/upload", files=[("files", files[0][1])],
                          timeout=10)]
    for reply in replies:
        assert reply.status_code in (401, 403), (reply.request.method, reply.url, reply.text)
        assert "revechat" not in reply.text and "llms-vs-genai" not in reply.text
    assert Bot(built_index).store.count() == count
    assert not Bot(built_index).settings.library_path.exists()


def test_the_api_routes_beside_the_page_need_the_key(protected: str) -> None:
    """The login guards the page; /v1 and /mcp on the same port want the server's key: no
    header, a wrong key, or the login's password as a key get 401 and no answer, and the
    right key gets the answer (so the refusals are the gate, not a broken route)."""
    chat = {"model": "citebot-extractive", "messages": [{"role": "user",
                                                 "content": "What does RLHF stand for?"}]}
    mcp = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    accept = {"Accept": "application/json, text/event-stream"}
    for auth in ({}, {"Authorization": "Bearer sk-a-guess"},
                 {"Authorization": "Bearer lovelace-1843"}):
        replies = [httpx.get(protected + "/v1/models", headers=auth, timeout=30),
                   httpx.post(protected + "/v1/chat/completions", json=chat, headers=auth,
                              timeout=60),
                   httpx.post(protected + "/mcp", json=mcp, headers={**accept, **auth},
                              timeout=30)]
        for reply in replies:
            assert reply.status_code == 401, (reply.url, auth, reply.status_code)
            assert "Reinforcement" not in reply.text and "citebot-" not in reply.text
    key = {"Authorization": f"Bearer {SERVER_KEY}"}
    answer = httpx.post(protected + "/v1/chat/completions", json=chat, headers=key, timeout=120)
    assert answer.status_code == 200, answer.text
    assert "Reinforcement Learning from Human Feedback" in (
        answer.json()["choices"][0]["message"]["content"])
