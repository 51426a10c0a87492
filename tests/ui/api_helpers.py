"""What the API and MCP tests share: a launched web app on loopback, and the check that a
citation's offsets cut exactly its quote out of the stored article."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.api import Bot


@contextmanager
def launched(bot: Bot) -> Iterator[str]:
    """The real web app (with its /v1 and /mcp routes) on the bot's loopback port."""
    from ui.app import build_app, launch

    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{bot.settings.port}"
    finally:
        app.close()


def assert_citations_resolve(bot: Bot, citations: list[dict[str, Any]]) -> None:
    """Every citation's [start:end] in its article is exactly its quote."""
    assert citations, "the answer cites nothing"
    for c in citations:
        document = bot.document(c["chunk_id"])
        assert document is not None and document.doc_id == c["doc_id"], c
        assert document.text[c["start"]:c["end"]] == c["quote"], c
        assert c["title"] and isinstance(c["heading_path"], list) and c["number"] >= 1


def raw_request(url: str, head: str, body: Iterator[bytes] | None = None) -> tuple[str, int]:
    """Send ``head``, then ``body`` from another thread until the server answers; (status
    line and headers, body bytes sent). The server may answer before the body, or part-way."""
    host, port = url.removeprefix("http://").split(":")
    sent = [0]
    answered = threading.Event()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())

        def send_body() -> None:
            try:
                for chunk in body or ():
                    if answered.is_set():
                        return
                    sock.sendall(chunk)
                    sent[0] += len(chunk)
            except OSError:
                return  # the server closed the connection: it has answered

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        reply = b""
        while b"\r\n\r\n" not in reply and (piece := sock.recv(65536)):
            reply += piece
        answered.set()
        sender.join(timeout=30)
    return reply.split(b"\r\n\r\n")[0].decode("latin-1"), sent[0]


def post_head(path: str, length: int | None, content_type: str) -> str:
    size = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"{size}\r\n\r\n")
