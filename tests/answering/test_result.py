"""AnswerBuilder: the one place an Answer is built, with its timings, tokens and labels."""

from __future__ import annotations

from bot.answering.request import AnswerRequest
from bot.answering.result import AnswerBuilder
from bot.backends.base import Usage

REQUEST = AnswerRequest(question="What is RLHF?", query_used="What is RLHF?", passages=(),
                        temperature=0.0, max_tokens=64, model="local")


def test_timings_count_from_composing_plus_the_time_before_it() -> None:
    builder = AnswerBuilder(REQUEST, before_s=2.0, fallback="1st in line, about 9 s to wait")
    builder.mark("first_token")
    first = builder.timings["first_token"]
    builder.mark("first_token")  # a first happens once
    builder.usage(Usage(prompt=120, cached=100, generated=7))
    answer = builder.build("RLHF is a training step [1].", (), ())
    assert answer.timings["retrieval"] == 2.0
    assert answer.timings["first_token"] == first + 2.0
    assert answer.timings["total"] >= answer.timings["first_token"]
    assert answer.tokens == {"prompt": 120, "prompt_new": 20, "prompt_cached": 100,
                             "generated": 7}
    assert (answer.fallback, answer.model, answer.question, answer.shape) == (
        "1st in line, about 9 s to wait", "local", "What is RLHF?", "fact")
