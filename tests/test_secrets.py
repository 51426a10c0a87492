"""The OpenAI-compatible backend's API key comes from the environment and goes only into the
Authorization header: never into `citebot config`, DEBUG logs, error messages (even when the
server echoes the key back in a 401), or evaluation reports.

The server is a small real HTTP server on 127.0.0.1 speaking the chat-completions streaming
protocol: these tests are about what citebot logs and prints, not about the model.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.api import Bot
from bot.question_sets import Question
from bot.report import write_report
from bot.settings import Settings
from ui.cli import main

KEY = "sk-test-9c41e7d2b8a3f6051d"
PASSWORD = "pw-canary-31f8a7"
ANSWER = "RLHF stands for reinforcement learning from human feedback [1]."


class ChatServer:
    """`/v1/models` and streaming `/v1/chat/completions`; ``reject`` answers 401 with the
    key quoted back, as some servers do. Records the Authorization headers it received."""

    def __init__(self, *, reject: bool) -> None:
        self.reject = reject
        self.authorizations: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.authorizations.append(self.headers.get("Authorization", ""))
                self._json(200, {"object": "list", "data": [{"id": "m", "object": "model"}]})

            def do_POST(self) -> None:
                server.authorizations.append(self.headers.get("Authorization", ""))
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if server.reject:
                    given = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    self._json(401, {"error": {"message": f"Incorrect API key provided: {given}",
                                               "type": "invalid_request_error"}})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for delta, finish in (({"role": "assistant", "content": ANSWER}, None),
                                      ({}, "stop")):
                    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0,
                             "model": "m", "choices": [{"index": 0, "delta": delta,
                                                        "finish_reason": finish}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

            def _json(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[ChatServer]:
    chat = ChatServer(reject=getattr(request, "param", False))
    yield chat
    chat.httpd.shutdown()
    chat.httpd.server_close()


def keyed(settings: Settings, server: ChatServer) -> Bot:
    return Bot(settings.with_overrides(model="openai", openai_base_url=server.url,
                                       openai_model="m", openai_api_key=KEY))


def test_config_command_masks_the_key_and_the_password(tmp_path: Path) -> None:
    toml = tmp_path / "citebot.toml"
    toml.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    result = CliRunner().invoke(main, ["--config", str(toml), "config"],
                                env={"OPENAI_API_KEY": KEY, "CITEBOT_AUTH_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["openai_api_key"] == "***" and shown["auth_password"] == "***"
    assert KEY not in result.output and PASSWORD not in result.output


def test_debug_logs_of_an_answer_never_hold_the_key(built_index: Settings, server: ChatServer,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bot = keyed(built_index, server)
    assert bot.generator().check().ready
    answer = bot.ask("What does RLHF stand for?")
    assert answer.complete and not answer.error, answer.error
    assert f"Bearer {KEY}" in server.authorizations  # the key was really used...
    assert any(r.name.startswith(("openai", "httpx", "httpcore")) and r.levelno == logging.DEBUG
               for r in caplog.records)  # ...with the HTTP clients' DEBUG logging on
    assert KEY not in caplog.text
    generator = bot.generator()
    assert KEY in vars(generator).values()  # it holds the key (it sent it above)...
    for shown in (repr(bot.settings), str(bot.settings), repr(generator), str(generator)):
        assert KEY not in shown  # ...and never shows it


@pytest.mark.parametrize("server", [True], indirect=True)
def test_a_rejected_key_is_not_repeated_in_the_error(built_index: Settings, server: ChatServer,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    answer = keyed(built_index, server).ask("What does RLHF stand for?")
    assert "HTTP 401" in answer.error and "Incorrect API key provided" in answer.error
    assert KEY not in answer.error and KEY not in answer.text
    assert KEY not in caplog.text


@pytest.mark.parametrize("server", [True], indirect=True)
def test_cli_ask_with_a_rejected_key_prints_no_key(tmp_path: Path, built_index: Settings,
                                                   server: ChatServer) -> None:
    toml = tmp_path / "citebot.toml"
    toml.write_text(f'data_dir = "{built_index.data_dir}"\nopenai_base_url = "{server.url}"\n'
                    'openai_model = "m"\n')
    result = CliRunner().invoke(main, ["--config", str(toml), "-v", "ask", "--model", "openai",
                                       "What does RLHF stand for?"],
                                env={"OPENAI_API_KEY": KEY})
    assert "401" in result.output, result.output
    assert f"Bearer {KEY}" in server.authorizations
    assert KEY not in result.output


@pytest.mark.parametrize("server", [True], indirect=True)
def test_evaluation_reports_hold_no_key(tmp_path: Path, built_index: Settings,
                                        server: ChatServer) -> None:
    questions = [Question("q1", "What does RLHF stand for?",
                          key_facts=(("reinforcement learning from human feedback",),)),
                 Question("q2", "Are LLMs a subset of generative AI?")]
    report = keyed(built_index, server).evaluate(questions)
    assert report.settings["openai_api_key"] == "***"
    assert any("401" in r.error for r in report.results)  # the server's echo was reported
    for path in write_report(report, tmp_path / "report"):
        assert KEY not in path.read_text(encoding="utf-8"), path.name
