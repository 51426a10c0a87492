"""benchmarks/load.py's own logic: the two question mixes, the classing of replies, and the
ratios against today's configuration. (The benchmark itself runs the real app; this checks
that what it counts is what its tables say.)"""

from __future__ import annotations

import load  # benchmarks/load.py (tests/benchmarks/conftest.py puts the folder on the path)

from ui.app import EXAMPLES


def test_the_repeats_mix_repeats_a_third_and_only_what_was_asked_before() -> None:
    questions = load.questions_for(users=8, per_user=3, mix="repeats")
    flat = [questions[n % 8][n // 8] for n in range(24)]  # in the order they are asked
    assert sum(repeat for _, repeat in flat) == 8  # every third request
    fresh = [q for q, repeat in flat if not repeat]
    assert len(set(fresh)) == len(fresh) == 16
    for n, (question, repeat) in enumerate(flat):
        if repeat:
            assert question in EXAMPLES and (question, False) in flat[:n], (n, question)


def test_the_different_mix_never_repeats() -> None:
    questions = load.questions_for(users=16, per_user=2, mix="different")
    flat = [q for mine in questions for q, _ in mine]
    assert len(flat) == 32 and len(set(flat)) == 32
    assert not any(repeat for mine in questions for _, repeat in mine)


def reply(**fields: object) -> dict[str, object]:
    base = {"text": "Reinforcement Learning from Human Feedback [1].",
            "citations": [{"number": 1}], "complete": True, "error": "", "abstained": False}
    return {**base, **fields}


def test_replies_are_classed_as_the_table_counts_them() -> None:
    assert load.classify(reply()) == ("ok", "")
    assert load.classify(reply(text="It is RLHF [2]."))[0] == "error"  # [2] resolves to nothing
    assert load.classify(reply(complete=False, error="cut off"))[0] == "error"
    full = {"error": "the queue is full: 64 questions already wait for the model; please try "
                     "again in a minute"}
    assert load.classify(full)[0] == "queue-full"
    assert load.classify({"error": "something went wrong"})[0] == "error"


def test_ratios_are_against_today_at_the_same_mix_and_users() -> None:
    rows = [{"config": c, "mix": "repeats", "users": 8, "throughput_per_min": t,
             "latency_p95": p} for c, t, p in (("today", 10.0, 40.0), ("cache", 15.0, 20.0))]
    rows.append({"config": "cache", "mix": "repeats", "users": 4, "throughput_per_min": 9.0,
                 "latency_p95": 9.0})
    rated = load.with_ratios(rows)
    assert (rated[1]["throughput_ratio"], rated[1]["p95_ratio"]) == (1.5, 0.5)
    assert rated[2]["throughput_ratio"] is None  # no 'today' run at 4 users to compare with
