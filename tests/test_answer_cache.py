"""The answer cache (bot/cache.py) through Bot: real embedder, real Chroma, extractive
answers; a small counting generator where the number of generations is the point."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.api import Bot
from bot.backends.base import Availability, GenerationRequest, Generator
from bot.backends.extractive import ExtractiveGenerator
from bot.cache import AnswerCache, CacheKey, Flight
from bot.question_sets import Question
from bot.settings import Settings
from ingest.pipeline import ingest_corpus
from tests.conftest import CORPUS, SECOND_CORPUS, make_settings

QUESTION = "What does RLHF stand for?"


class SlowCounter(Generator):
    """Answers with the first passage's first words after a pause, counting its calls."""

    name = "counter"

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def check(self) -> Availability:
        return Availability(True, "test generator")

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        with self._lock:
            self.calls += 1
        time.sleep(1.0)
        yield " ".join(request.evidence[0].best_sentence.split()[:12]) + " [1]"

    def generate(self, request: GenerationRequest) -> str:
        return "".join(self.stream(request))


class CountedExtractive(ExtractiveGenerator):
    """The extractive backend, counting the requests it answers."""

    calls = 0

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        self.calls += 1
        yield from super().stream(request)


def same(a: Any, b: Any) -> bool:
    return (a.text, a.citations, a.abstained) == (b.text, b.citations, b.abstained)


def test_a_repeat_is_the_same_answer_from_cache_and_the_key_holds_what_decides_it(
        built_index: Settings) -> None:
    counted = CountedExtractive()
    bot = Bot(built_index.with_overrides(model="extractive"), generators={"extractive": counted})
    first = bot.ask(QUESTION)
    assert counted.calls == 1
    again = bot.ask(QUESTION)
    assert not first.cached and again.cached and same(first, again)
    assert counted.calls == 1  # the repeat never reached the backend (on any machine speed)
    assert "Reinforcement Learning from Human Feedback" in again.text and again.citations
    assert again.timings["first_total"] == first.timings["total"]
    print(f"\nfirst {first.timings['total']:.3f} s, repeat {again.timings['total']:.4f} s")
    assert not bot.ask(QUESTION, top_k=3).cached  # another top_k
    assert not bot.ask(QUESTION, history=[("user", "What is an LLM?")]).cached  # history
    assert not bot.ask(QUESTION, temperature=0.7).cached
    assert not bot.ask(QUESTION, max_tokens=100).cached
    assert bot.ask(f"  {QUESTION}\x07 ").cached  # the same question once cleaned
    assert not bot.ask(QUESTION, cache=False).cached
    counter = SlowCounter()
    other_model = Bot(built_index.with_overrides(model="extractive"),
                      generators={"counter": counter})
    other_model.ask(QUESTION)
    assert not other_model.ask(QUESTION, model="counter").cached and counter.calls == 1
    assert not Bot(built_index.with_overrides(model="extractive", answer_cache=False)
                   ).ask(QUESTION).cached


def test_evaluation_answers_every_question_afresh(built_index: Settings) -> None:
    bot = Bot(built_index.with_overrides(model="extractive"))
    bot.ask(QUESTION)
    asked = [Question(id=f"q{i}", question=QUESTION, answerable=True) for i in range(2)]
    assert not any(r.cached for r in _answers(bot, asked))
    assert all(r.cached for r in _answers(bot, asked, cache=True))


def _answers(bot: Bot, questions: list[Question], cache: bool = False) -> list[Any]:
    seen = []
    original = bot.ask

    def spy(*args: Any, **kwargs: Any) -> Any:
        answer = original(*args, **kwargs)
        seen.append(answer)
        return answer

    bot.ask = spy  # type: ignore[method-assign]
    try:
        bot.evaluate(questions, cache=cache)
    finally:
        bot.ask = original  # type: ignore[method-assign]
    return seen


def test_identical_questions_at_once_cause_one_generation(built_index: Settings) -> None:
    counter = SlowCounter()
    bot = Bot(built_index.with_overrides(model="counter"), generators={"counter": counter})
    start = threading.Barrier(4)
    answers: list[Any] = []

    def ask() -> None:
        start.wait()
        answers.append(bot.ask(QUESTION))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.calls == 1
    assert sorted(a.cached for a in answers) == [False, True, True, True]
    assert all(same(a, answers[0]) for a in answers)


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache = AnswerCache(max_entries=2)
    keys = [CacheKey(q, (), "i", "v", "m", 5, 0.1, 200) for q in "abc"]
    for key in keys:
        flight = cache.lead_or_wait(key)
        assert isinstance(flight, Flight)
        cache.finish(flight, f"answer {key.question}")  # type: ignore[arg-type]
    assert cache.lead_or_wait(keys[2]) == "answer c"
    first = cache.lead_or_wait(keys[0])
    assert len(cache) == 2 and isinstance(first, Flight)  # "a" went first
    cache.finish(first, None)  # a failed answer stores nothing, and frees the key
    assert isinstance(cache.lead_or_wait(keys[0]), Flight)


def test_a_waiter_takes_over_from_a_leader_that_stalled(monkeypatch: Any) -> None:
    import bot.cache

    class SteppingClock:  # each reading 0.05 s later: the stall is exact under any load
        now = 0.0

        def monotonic(self) -> float:
            self.now += 0.05
            return self.now

    clock = SteppingClock()
    monkeypatch.setattr(bot.cache, "STALL_S", 0.3)
    monkeypatch.setattr(bot.cache, "time", clock)
    cache = AnswerCache(max_entries=4)
    key = CacheKey("q", (), "i", "v", "m", 5, 0.1, 200)
    abandoned = cache.lead_or_wait(key)  # its reader went away: never touched again
    assert isinstance(abandoned, Flight)
    second = cache.lead_or_wait(key)
    assert isinstance(second, Flight) and second is not abandoned
    assert 0.3 < clock.now - abandoned.touched <= 0.3 + 0.1  # taken over once stalled, not before
    cache.finish(abandoned, None)  # finishing late does not end the new leader's flight
    cache.finish(second, "fresh")  # type: ignore[arg-type]
    assert cache.lead_or_wait(key) == "fresh"


def test_an_ingest_in_another_process_makes_the_next_answer_fresh(chroma_server: int,
                                                                  tmp_path: Path) -> None:
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=chroma_server,
                             collection="cachetest", model="extractive", index_check_s=0)
    ingest_corpus(settings, [next(CORPUS.glob("000_*.txt"))])
    bot = Bot(settings)
    question = "Which consistency levels can a query choose in Apache Cassandra?"
    assert bot.ask(question).abstained and bot.ask(question).cached
    config = tmp_path / "other.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\nchroma_host = "127.0.0.1"\n'
                      f'chroma_port = {chroma_server}\ncollection = "cachetest"\n')
    added = subprocess.run([sys.executable, "-m", "ui.cli", "--config", str(config), "ingest",
                            str(SECOND_CORPUS / "nosql-at-scale.html")], capture_output=True,
                           text=True, timeout=300)
    assert added.returncode == 0, added.stderr
    fresh = bot.ask(question)
    assert not fresh.cached and "QUORUM" in fresh.text
    assert bot.ask(question).cached
