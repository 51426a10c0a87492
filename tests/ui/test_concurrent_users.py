"""Several users at once through the web app's API, against the real app and the real local
LLM: every request gets a complete answer or the queue's clean "full, try again" refusal;
nothing raises, hangs or comes back half-done as if complete. Speed is measured by
benchmarks/load.py, not asserted here."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import httpx
import pytest

from bot.api import Bot
from bot.evaluate import contains_any
from bot.prompt import NO_ANSWER
from bot.settings import Settings
from tests.conftest import ROOT, free_port

USERS = 8
QUESTIONS_PER_USER = 1  # 8 real-LLM answers at once; benchmarks/load.py runs 8 x 2
OVERALL_TIMEOUT = 900  # s: a hang fails the test instead of stalling the run
QUEUE_FULL = "Queue is full! Please try again."
_MARKER = re.compile(r"\[(\d+)\]")


ANSWERED = ("q01", "q02", "q03", "q04", "q05", "q06", "q07", "q09", "q10")
"""Fact questions from the question set that the local model answered with their key facts
when measured (q08 left out: it abstained). An abstention or a missing fact fails the test,
so eight abstentions cannot pass."""


def real_questions(count: int) -> list[str]:
    return [QUESTIONS[i]["question"] for i in ANSWERED[:count]]


def _question_set() -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "questions.jsonl").read_text()
            .splitlines() if line.strip()]
    by_id = {r["id"]: r for r in rows}
    assert all(by_id[i]["answerable"] and by_id[i]["key_facts"] and not by_id[i]["history"]
               for i in ANSWERED)
    return by_id


QUESTIONS = _question_set()
FACTS = {QUESTIONS[i]["question"]: QUESTIONS[i]["key_facts"] for i in ANSWERED}


def serve(settings: Settings, generators: dict[str, Any] | None = None) -> tuple[Any, str]:
    from ui.app import build_app, launch

    bot = Bot(settings, generators=generators)
    app = build_app(bot)
    launch(app, bot, block=False, quiet=True)
    return app, f"http://127.0.0.1:{settings.port}/"


@pytest.fixture(scope="module")
def app_url(built_index: Settings, local_model: Any) -> Iterator[str]:
    settings = built_index.with_overrides(port=free_port(), model="local")
    app, url = serve(settings, {"local": local_model})
    yield url
    app.close()


def assert_complete(reply: Any, question: str) -> None:
    """A whole answer, with the question's key facts, whose [n] markers all resolve."""
    assert isinstance(reply, dict) and "text" in reply, reply
    assert reply["question"] == question and reply["text"].strip()
    assert reply["complete"] and not reply["error"], reply["error"]
    numbers = {c["number"] for c in reply["citations"]}
    assert {int(n) for n in _MARKER.findall(reply["text"])} <= numbers, reply["text"]
    assert not reply["abstained"] and not reply["text"].startswith(NO_ANSWER), reply["text"]
    assert numbers and reply["model"] == "local"
    for group in FACTS[question]:
        assert contains_any(reply["text"], group), (question, group, reply["text"])


def ask_as_user(url: str, questions: list[str], start: threading.Barrier) -> list[Any]:
    """One user with its own client, asking its questions in turn; a queue-full refusal is
    returned as the QueueError, anything else raised propagates (and fails the test)."""
    from gradio_client import Client
    from gradio_client.utils import QueueError

    client = Client(url, verbose=False)
    start.wait(timeout=120)
    replies: list[Any] = []
    for question in questions:
        try:
            replies.append(client.submit(question, "local", 0, api_name="/ask")
                           .result(timeout=OVERALL_TIMEOUT))
        except QueueError as exc:
            replies.append(exc)
    return replies


def test_eight_users_at_once_all_get_whole_answers(app_url: str) -> None:
    from gradio_client.utils import QueueError

    questions = real_questions(USERS * QUESTIONS_PER_USER)
    mine = [questions[u::USERS] for u in range(USERS)]
    start = threading.Barrier(USERS)
    with ThreadPoolExecutor(USERS) as pool:
        futures = [pool.submit(ask_as_user, app_url, qs, start) for qs in mine]
        _, hung = wait(futures, timeout=OVERALL_TIMEOUT)
    assert not hung, f"{len(hung)} users got no reply within {OVERALL_TIMEOUT} s"
    answered = 0
    for qs, future in zip(mine, futures, strict=True):
        for question, reply in zip(qs, future.result(), strict=True):
            if isinstance(reply, QueueError):  # allowed, but must be the clean refusal
                assert str(reply) == QUEUE_FULL
                continue
            assert_complete(reply, question)
            answered += 1
    assert answered == USERS * QUESTIONS_PER_USER  # the default queue (64) holds them all


# -- a full queue ------------------------------------------------------------------------------
def wait_until(condition: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {timeout} s"
        time.sleep(0.1)


def test_a_full_queue_says_try_again_and_recovers(built_index: Settings,
                                                  local_model: Any) -> None:
    """Queue of 1: two questions being answered by the real LLM plus one waiting fill it;
    then every further request is refused cleanly, and once it drains, answers flow again."""
    from gradio_client import Client
    from gradio_client.utils import QueueError, Status

    settings = built_index.with_overrides(port=free_port(), model="extractive", queue_size=1)
    app, url = serve(settings, {"local": local_model})
    try:
        slow = real_questions(3)
        jobs = [Client(url, verbose=False).submit(q, "local", 0, api_name="/ask") for q in slow]
        wait_until(lambda: sorted(j.status().code.value for j in jobs).count("PROCESSING") == 2
                   and any(j.status().code == Status.IN_QUEUE for j in jobs),
                   "2 processing and 1 waiting")
        for question in real_questions(6)[3:]:
            with pytest.raises(QueueError) as refused:
                Client(url, verbose=False).predict(question, "extractive", 0, api_name="/ask")
            assert str(refused.value) == QUEUE_FULL
        raw = httpx.post(url + "gradio_api/call/ask", timeout=30,
                         json={"data": ["What is generative AI?", "extractive", 0]})
        assert raw.status_code == 503 and "Queue is full" in raw.json()["detail"]
        assert "Traceback" not in raw.text
        for question, job in zip(slow, jobs, strict=True):
            assert_complete(job.result(timeout=OVERALL_TIMEOUT), question)
        after = Client(url, verbose=False).predict("What does RLHF stand for?", "extractive", 0,
                                                   api_name="/ask")
        assert "Reinforcement Learning from Human Feedback" in after["text"]
    finally:
        app.close()
