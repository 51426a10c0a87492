"""The multi-process topology (ui/topology.py) on loopback: a Chroma server, the bundled model
in its own OpenAI-compatible server, two citebot apps. Each app answers with the real model;
a document uploaded through one app is answered by the other; `down` stops everything."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CORPUS, SECOND_CORPUS
from ui.topology import down, status, up

pytestmark = pytest.mark.slow
ARTICLE = SECOND_CORPUS / "nosql-at-scale.html"


def ask(url: str, question: str, model: str = "citebot") -> dict[str, Any]:
    reply = httpx.post(url + "/v1/chat/completions", timeout=600, json={
        "model": model, "messages": [{"role": "user", "content": question}]})
    assert reply.status_code == 200, reply.text
    return dict(reply.json()["choices"][0]["message"]["citebot"])


def test_two_apps_one_chroma_server_one_model_server(tmp_path: Path) -> None:
    folder = tmp_path / "topology"
    parts = up(folder, apps=2, corpus=[next(CORPUS.glob("000_*.txt"))])
    try:
        assert [p.name for p in parts] == ["chroma", "model", "app1", "app2"]
        app1, app2 = parts[2].url, parts[3].url
        for url in (app1, app2):
            answer = ask(url, "What is an LLM?")
            assert answer["model"] == "openai" and not answer["abstained"], answer
            # "a large language model ..." or "a deep learning model ... human language"
            assert re.search(r"language model|\bmodel\b.*\blanguage\b", answer["text"],
                             re.IGNORECASE) and answer["citations"], answer["text"]
        question = "Which consistency levels can a query choose in Apache Cassandra?"
        assert ask(app1, question, "citebot-extractive")["abstained"]
        added = httpx.post(app2 + "/v1/documents", timeout=300,
                           files=[("file", (ARTICLE.name, ARTICLE.read_bytes()))]).json()
        assert added["files"][0]["status"] == "added"
        # The other app looks for index changes every index_check_s (1 s): within seconds.
        deadline = time.monotonic() + 30
        while (answer := ask(app1, question, "citebot-extractive"))["abstained"] or (
                "QUORUM" not in answer["text"]):  # an abstention quotes nearby sentences too
            assert time.monotonic() < deadline, answer["text"]
            time.sleep(0.5)
        assert {c["doc_id"] for c in answer["citations"]} == {"nosql-at-scale"}
    finally:
        stopped = down(folder)
    assert stopped == ["chroma", "model", "app1", "app2"]
    after = status(folder)
    assert len(after) == 4 and not any(alive for _, alive in after)
