"""The model's line (bot/queue.py): first come first served, places and waits estimated from
recent answer times, and the Bot's quick extractive answer when the wait is too long.

The line's logic is tested with plain threads; the Bot's use of it with the real index, the
real embedder and the real extractive backend behind a model that answers only when told to
(so that "busy" is exact). The web app's side is tests/ui/test_waiting.py, in Chromium with
the real local model."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from bot.api import Bot
from bot.backends.base import GenerationRequest, Usage
from bot.backends.extractive import ExtractiveGenerator
from bot.errors import QueueFullError
from bot.queue import ModelQueue, Waiting
from bot.settings import Settings


def test_the_line_is_first_come_first_served() -> None:
    queue = ModelQueue(capacity=1)
    first, second, third = queue.join(), queue.join(), queue.join()
    assert first.wait(0)
    assert not third.wait(0)  # not its turn while second waits ahead of it
    assert (second.status().position, third.status().position) == (1, 2)
    second.leave()  # gave up waiting: third moves up
    assert third.status().position == 1
    first.leave(finished=True)
    assert third.wait(1)
    assert third.status().position == 0


def test_a_full_line_refuses_with_what_to_do() -> None:
    queue = ModelQueue(capacity=1, limit=2)
    serving, waiting = queue.join(), queue.join()
    assert serving.wait(0)
    queue.join()  # two wait: the limit
    with pytest.raises(QueueFullError, match=r"2 questions already wait for the model; please "
                                             r"try again in a minute \(the setting queue_size"):
        queue.join()
    waiting.leave()
    queue.join()  # a place came free


class Clock:
    """The line's clock, moved by hand: answer times are exact, on a machine of any load."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_the_wait_is_estimated_from_recent_answer_times(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.queue

    clock = Clock()
    monkeypatch.setattr(bot.queue, "time", clock)
    queue = ModelQueue(capacity=1)
    serving, waiting = queue.join(), queue.join()
    assert serving.wait(0)
    assert waiting.status() == Waiting(1, None, None)  # nothing timed yet: no guess
    for _ in range(3):  # answers of 0 s (left at once), 2 s and 2 s: the median is 2 s
        serving.leave(finished=True)
        serving = waiting
        assert serving.wait(0)
        clock.now += 2.0
        waiting = queue.join()
    status = waiting.status()
    assert status.typical_s == 2.0
    # The one being answered has had its 2 s: a tenth of a typical answer is still to come.
    assert status.estimate_s == pytest.approx(0.2)
    behind = queue.join()
    assert behind.status().estimate_s == pytest.approx(2.2)  # and one whole answer more


def test_abandoned_turns_do_not_count_as_answer_times() -> None:
    queue = ModelQueue(capacity=2)
    a, b = queue.join(), queue.join()
    assert a.wait(0) and b.wait(0)  # two places: both at once
    a.leave(finished=False)
    b.leave(finished=True)
    assert len(queue._recent) == 1


def test_waiters_are_served_in_order_across_threads() -> None:
    queue = ModelQueue(capacity=1)
    holder = queue.join()
    assert holder.wait(0)
    order: list[int] = []
    tickets = [queue.join() for _ in range(5)]

    def run(n: int) -> None:
        assert tickets[n].wait(10)
        order.append(n)
        tickets[n].leave(finished=True)

    threads = [threading.Thread(target=run, args=(n,)) for n in reversed(range(5))]
    for thread in threads:
        thread.start()
    holder.leave()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4]


class GatedModel(ExtractiveGenerator):
    """The real extractive composer behind a one-at-a-time model that answers when let go."""

    name = "gated"
    concurrency = 1

    def __init__(self) -> None:
        self.go = threading.Event()
        self.calls = 0

    def stream(self, request: GenerationRequest) -> Iterator[str | Usage]:
        self.calls += 1
        assert self.go.wait(60), "the test never let the model answer"
        yield from super().stream(request)
        yield Usage(prompt=120, cached=100, generated=20)


@pytest.fixture
def gated(index_copy: Settings) -> Iterator[tuple[Bot, GatedModel]]:
    model = GatedModel()
    bot = Bot(index_copy.with_overrides(answer_cache=False), generators={"gated": model})
    yield bot, model
    bot.close()


QUESTION = "What does RLHF stand for?"


def test_a_busy_model_gives_the_labelled_extractive_answer_at_once(
        gated: tuple[Bot, GatedModel]) -> None:
    bot, model = gated
    model.go.set()
    timed = bot.ask(QUESTION, model="gated")  # one timed answer: the estimate has a basis
    assert "first_token" in timed.timings and not timed.fallback
    assert timed.tokens == {"prompt": 120, "prompt_new": 20, "prompt_cached": 100,
                            "generated": 20}
    model.go.clear()
    queue = bot.queue("gated")
    assert queue is not None
    holder = queue.join()
    assert holder.wait(0)  # someone else's question has the model
    started = time.perf_counter()
    quick = bot.ask(QUESTION, model="gated", fallback_after_s=0.000001)
    assert time.perf_counter() - started < 5 and model.calls == 1  # the model was not asked
    assert quick.fallback.startswith("1st in line for the model, about")
    assert quick.model == "extractive" and not quick.abstained
    assert "Reinforcement Learning from Human Feedback" in quick.text
    assert quick.citations and not quick.tokens
    holder.leave()


def test_without_a_fallback_the_question_waits_and_hears_its_place(
        gated: tuple[Bot, GatedModel]) -> None:
    bot, model = gated
    queue = bot.queue("gated")
    assert queue is not None
    holder = queue.join()
    assert holder.wait(0)
    stream = bot.stream(QUESTION, model="gated")
    first = next(iter(stream))
    assert first == Waiting(1, None, None)  # told at once; no answer timed yet
    holder.leave()
    model.go.set()
    answer = stream.answer()
    assert answer.model == "gated" and not answer.fallback
    assert "Reinforcement Learning from Human Feedback" in answer.text
    assert queue.waiting == 0 and len(queue._recent) == 1


def test_a_full_line_falls_back_when_allowed_and_refuses_when_not(index_copy: Settings) -> None:
    model = GatedModel()
    bot = Bot(index_copy.with_overrides(answer_cache=False, queue_size=1),
              generators={"gated": model})
    queue = bot.queue("gated")
    assert queue is not None
    holder = queue.join()
    assert holder.wait(0)  # being answered: it no longer waits
    waiter = queue.join()  # one waits: the line is full
    with pytest.raises(QueueFullError):
        bot.ask(QUESTION, model="gated")
    quick = bot.ask(QUESTION, model="gated", fallback_after_s=60)
    assert quick.fallback.startswith("the model's line is full")
    assert "Reinforcement Learning from Human Feedback" in quick.text and model.calls == 0
    waiter.leave()
    holder.leave()
    bot.close()
