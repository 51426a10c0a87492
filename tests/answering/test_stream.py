"""AnswerStream: text and Waiting events while the answer is made, the checked Answer after."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from bot.answering.stream import AnswerStream, Event
from bot.errors import CitebotError
from bot.queue import Waiting
from bot.schema import Answer

ANSWER = Answer(text="RLHF is a training step [1].", citations=(), passages=(), abstained=False,
                query_used="What is RLHF?")


def events(log: list[str], fail: bool = False) -> Generator[Event, None, Answer]:
    try:
        yield Waiting(1, 3.0, 3.0)
        yield "RLHF is "
        if fail:
            raise CitebotError("the model failed")
        yield "a training step [1]."
        return ANSWER
    finally:
        log.append("closed")


def test_iterating_gives_waiting_and_text_then_answer_gives_the_answer() -> None:
    log: list[str] = []
    stream = AnswerStream(events(log))
    assert list(stream) == [Waiting(1, 3.0, 3.0), "RLHF is ", "a training step [1]."]
    assert stream.answer() is ANSWER and log == ["closed"]
    assert stream.answer() is ANSWER  # asked again: the same answer, nothing re-run


def test_text_leaves_out_the_waiting_events() -> None:
    stream = AnswerStream(events([]))
    assert "".join(stream.text()) == ANSWER.text and stream.answer() is ANSWER


def test_a_reader_that_stops_early_can_still_ask_for_the_answer() -> None:
    log: list[str] = []
    stream = AnswerStream(events(log))
    for event in stream:
        if isinstance(event, str):
            break  # the loop's iterator is dropped here: the answer must stay readable
    assert log == [] and stream.answer() is ANSWER


def test_closing_ends_the_answer_at_once_and_answer_then_says_so() -> None:
    log: list[str] = []
    with AnswerStream(events(log)) as stream:
        next(iter(stream))
    assert log == ["closed"]
    with pytest.raises(CitebotError, match="closed before its answer"):
        stream.answer()


def test_a_failure_while_reading_propagates_with_the_stages_finished() -> None:
    log: list[str] = []
    stream = AnswerStream(events(log, fail=True))
    with pytest.raises(CitebotError, match="the model failed"):
        stream.answer()
    assert log == ["closed"]
