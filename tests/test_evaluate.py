"""Each metric on hand-made answers, including ones that must score 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.evaluate import Report, aggregate, by_category, by_kind, percentile, score
from bot.question_sets import Question, load_questions
from bot.report import compare_table, read_report, summary_table, write_report
from bot.schema import Answer, Chunk, Citation, Passage, Sentence


def passage(text: str, n: int) -> Passage:
    return Passage(Chunk(f"c{n}", "d", "T", text, 0, len(text)), score=1.0)


PASSAGES = (passage("Generative AI makes images.", 1),
            passage("RLHF means Reinforcement Learning from Human Feedback (RLHF) here.", 2))
RLHF = Question(id="q1", question="What does RLHF stand for?",
                key_facts=(("reinforcement learning from human feedback",), ("rlhf",)),
                support=("Reinforcement Learning from Human Feedback (RLHF)",))
UNANSWERABLE = Question(id="q2", question="Capital of Australia?", answerable=False)


def answer(text: str, *, abstained: bool = False, cite: int | None = 2,
           timings: dict[str, float] | None = None, dropped: tuple[str, ...] = ()) -> Answer:
    cites = () if cite is None else (Citation(cite, "d", "T", PASSAGES[cite - 1].text[:40], 0, 40,
                                              PASSAGES[cite - 1].text),)
    return Answer(text=text, citations=cites, passages=PASSAGES, abstained=abstained,
                  query_used="q", sentences=(Sentence(text, (cite,) if cite else (), True),),
                  timings=timings or {"retrieval": 0.1, "first_token": 1.0, "total": 2.0},
                  dropped=dropped)


def test_a_perfect_answer() -> None:
    r = score(RLHF, answer("RLHF is Reinforcement Learning from Human Feedback [2]."))
    assert r.support_rank == 2 and r.fact_recall == 1.0 and r.citation_valid
    m = aggregate([r])
    assert (m["hit@1"], m["hit@5"], m["mrr"]) == (0.0, 1.0, 0.5)
    assert m["abstention_accuracy"] == 1.0 and m["support_rate"] == 1.0


def test_a_wrong_answer_scores_zero() -> None:
    wrong = Answer(text="Paris is nice [7].", citations=(), passages=(PASSAGES[0],),
                   abstained=False, query_used="q", dropped=("GPT-4 has 10 params.",))
    r = score(RLHF, wrong)
    m = aggregate([r])
    assert r.support_rank is None and r.fact_recall == 0.0 and not r.citation_valid
    assert m["hit@1"] == m["hit@5"] == m["mrr"] == m["fact_recall"] == 0.0
    assert m["citation_validity"] == 0.0 and m["support_rate"] == 0.0
    assert m["citation_hit"] == 0.0


def test_support_never_retrieved_and_abstained_counts_as_a_retrieval_miss() -> None:
    """Earlier the hit@k denominator left out exactly these questions, inflating hit@5."""
    missed = Answer(text="The sources don't cover this.", citations=(), passages=(PASSAGES[0],),
                    abstained=True, query_used="q")
    found = score(RLHF, answer("RLHF is Reinforcement Learning from Human Feedback [2]."))
    m = aggregate([score(RLHF, missed), found])
    assert (m["hit@5"], m["mrr"]) == (0.5, 0.25)


def test_partial_fact_recall_and_missed_groups() -> None:
    r = score(RLHF, answer("It uses human feedback and RLHF [2]."))
    assert r.fact_recall == 0.5
    assert r.missed_facts == [["reinforcement learning from human feedback"]]


def test_abstention_accuracy_and_error_rates() -> None:
    results = [score(RLHF, answer("No.", abstained=True, cite=None)),          # false abstention
               score(UNANSWERABLE, answer("Canberra [1].", cite=1)),           # false answer
               score(UNANSWERABLE, answer("Not covered.", abstained=True, cite=None))]
    m = aggregate(results)
    assert m["abstention_accuracy"] == pytest.approx(1 / 3)
    assert m["false_abstention_rate"] == 1.0 and m["false_answer_rate"] == 0.5


def test_support_rate_counts_dropped_sentences() -> None:
    r = score(RLHF, answer("RLHF is Reinforcement Learning from Human Feedback [2].",
                           dropped=("Invented.", "Also invented.")))
    assert aggregate([r])["support_rate"] == pytest.approx(1 / 3)


def test_latency_percentiles() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 50) == 3.0
    assert percentile([], 95) == 0.0
    results = [score(RLHF, answer("x [2].", timings={"total": float(t)})) for t in range(1, 21)]
    m = aggregate(results)
    assert m["total_p50"] == pytest.approx(10.5) and m["total_p95"] > 19


def test_question_file_accepts_partial_lines_and_names_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "q.jsonl"
    good.write_text(json.dumps({"question": "What is an LLM?"}) + "\n\n" +
                    json.dumps({"id": "x", "question": "Q?", "answerable": False}) + "\n")
    questions = load_questions(good)
    assert [q.id for q in questions] == ["line1", "x"] and not questions[1].answerable
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\n{"id": 3}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2 needs a \"question\" field"):
        load_questions(bad)


def test_reports_round_trip_and_compare(tmp_path: Path) -> None:
    results = [score(RLHF, answer("RLHF is Reinforcement Learning from Human Feedback [2]."))]
    report = Report(metrics=aggregate(results), results=results, model="extractive",
                    settings={})
    json_path, html_path = write_report(report, tmp_path / "a")
    again = read_report(json_path)
    assert again.metrics == report.metrics and again.results == report.results
    page = html_path.read_text()
    assert "data:image/png;base64," in page and "What does RLHF stand for?" in page
    worse = Report(metrics={**report.metrics, "fact_recall": 0.5}, results=[], model="m",
                   settings={})
    table = compare_table(report, worse)
    assert "fact_recall" in table and "worse" in table
    assert "hit@5" in summary_table(report)


def test_metrics_per_kind_and_bars_on_a_group(tmp_path: Path) -> None:
    """Each question's kind is read (default 'fact'), every metric is reported per kind, and a
    bar names a group's metric; a group the report lacks misses its bar."""
    from ui.cli_eval import missed_bar, parse_bars

    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "List them", "kind": "list"}) + "\n"
                    + json.dumps({"id": "b", "question": "What is it?"}) + "\n")
    assert [q.kind for q in load_questions(path)] == ["list", "fact"]
    listed = Question(id="l", question="Which?", kind="list", key_facts=(("rlhf",), ("x",)),
                      category="breadth")
    results = [score(listed, answer("RLHF [2].")), score(RLHF, answer("No idea [2]."))]
    report = Report(metrics=aggregate(results), results=results, model="m", settings={},
                    by_kind=by_kind(results), by_category=by_category(results))
    assert report.metric("kind:list/fact_recall") == 0.5
    assert report.metric("kind:fact/fact_recall") == 0.0
    assert report.metric("category:breadth/fact_recall") == 0.5
    assert report.metric("kind:summary/fact_recall") is None
    assert "kind" in summary_table(report) and "list" in summary_table(report)
    (bar,) = parse_bars(("kind:list/fact_recall=0.6",), "under")
    assert missed_bar(report, *bar) == "kind:list/fact_recall = 0.500 is under the bar 0.6"
    assert missed_bar(report, "kind:list/fact_recall", "under", 0.4) == ""
    assert "not in the report" in missed_bar(report, "kind:summary/fact_recall", "under", 0.1)
    with pytest.raises(InputError, match="unknown metric 'kind:list/speed'"):
        parse_bars(("kind:list/speed=1",), "under")
    with pytest.raises(InputError, match="unknown metric 'team:x/fact_recall'"):
        parse_bars(("team:x/fact_recall=1",), "under")
