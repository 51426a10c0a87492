"""`citebot eval` as CI's quality gate: its bars, their exit codes and messages, --compare,
and the seeded stratified --sample CI scores the local model on. Real index, real embedder,
the extractive backend (no LLM), everything written to temp folders."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.evaluate import METRICS
from bot.question_sets import load_questions, sample_questions
from bot.settings import Settings
from tests.conftest import CORPUS
from ui.cli import main

QUESTIONS = [
    {"id": "a1", "question": "What does RLHF stand for?", "category": "fact",
     "key_facts": [["reinforcement learning from human feedback"]],
     "support": ["Reinforcement Learning from Human Feedback (RLHF)"]},
    {"id": "u1", "question": "What is the capital of Australia?", "answerable": False,
     "category": "unanswerable"},
]


@pytest.fixture
def cfg(tmp_path: Path, built_index: Settings) -> str:
    path = tmp_path / "citebot.toml"
    path.write_text(f'data_dir = "{built_index.data_dir}"\ncorpus = ["{CORPUS}"]\n'
                    f'report_dir = "{tmp_path / "unused-reports"}"\n')
    return str(path)


@pytest.fixture
def questions(tmp_path: Path) -> str:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def evaluate(cfg: str, questions: str, out: Path, *bars: str) -> tuple[int, str]:
    return run("--config", cfg, "eval", "--model", "extractive", "--questions", questions,
               "--out", str(out), *bars)


def test_bars_that_hold_pass_and_ones_that_do_not_fail_by_name(
        cfg: str, questions: str, tmp_path: Path) -> None:
    code, out = evaluate(cfg, questions, tmp_path / "ok", "--fail-under", "fact_recall=1.0",
                         "--fail-under", "hit@1=1.0", "--fail-over", "false_answer_rate=0.0")
    assert code == 0, out
    assert "fact_recall            1.000" in out and "2 questions, model extractive" in out
    report = json.loads((tmp_path / "ok" / "report.json").read_text())
    assert report["metrics"]["fact_recall"] == 1.0 and len(report["results"]) == 2
    assert not (tmp_path / "unused-reports").exists()  # --out, not the configured folder

    code, out = evaluate(cfg, questions, tmp_path / "bad", "--fail-under", "fact_recall=1.01",
                         "--fail-over", "retrieval_p50=0", "--fail-under", "hit@1=0.5")
    assert code == 1
    assert "Error: fact_recall = 1.000 is under the bar 1.01; retrieval_p50 = " in out
    assert "is over the bar 0.0" in out and "hit@1" not in out.split("Error:")[1]
    assert "metric" in out.split("Error:")[0]  # the table is printed before the verdict


@pytest.mark.parametrize(("flag", "spec", "message"), [
    ("--fail-under", "recall=0.5", "unknown metric 'recall' in --fail-under; choose from: "
     + ", ".join(METRICS)),
    ("--fail-over", "latency=3", "unknown metric 'latency' in --fail-over; choose from: hit@1"),
    ("--fail-under", "mrr=high", "--fail-under mrr=high: 'high' is not a number"),
])
def test_a_bad_bar_fails_before_anything_is_scored(cfg: str, questions: str, tmp_path: Path,
                                                   flag: str, spec: str, message: str) -> None:
    code, out = evaluate(cfg, questions, tmp_path / "out", flag, spec)
    assert code == 1 and message in out, out
    assert "questions, model" not in out and not (tmp_path / "out").exists()


def test_compare_shows_both_runs_and_which_way_each_metric_moved(
        cfg: str, questions: str, tmp_path: Path) -> None:
    assert evaluate(cfg, questions, tmp_path / "before")[0] == 0
    after = json.loads((tmp_path / "before" / "report.json").read_text())
    after["metrics"]["fact_recall"] = 0.5
    after["metrics"]["total_p50"] = after["metrics"]["total_p50"] + 1.0
    (tmp_path / "after").mkdir()
    (tmp_path / "after" / "report.json").write_text(json.dumps(after))
    code, out = run("eval", "--compare", str(tmp_path / "before" / "report.json"),
                    str(tmp_path / "after" / "report.json"))
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "before" in lines["metric"] and "after" in lines["metric"]
    assert lines["fact_recall"].split()[1:] == ["1.000", "0.500", "-0.500", "worse"]
    assert lines["total_p50"].endswith("+1.000 worse")  # slower is worse
    assert lines["hit@1"].split()[1:] == ["1.000", "1.000", "+0.000"]
    code, out = run("eval", "--compare", str(tmp_path / "before" / "report.json"), questions)
    assert code == 1 and "is not a citebot report.json" in out


def test_sample_is_seeded_and_stratified_by_category() -> None:
    questions = load_questions(CORPUS / "questions.jsonl")
    sample = sample_questions(questions, 25, seed=14)
    assert abs(len(sample) - 25) <= 1  # each category's share is rounded
    assert [q.id for q in sample] == [q.id for q in sample_questions(questions, 25, seed=14)]
    assert [q.id for q in sample] != [q.id for q in sample_questions(questions, 25, seed=15)]
    every = Counter(q.category for q in questions)
    picked = Counter(q.category for q in sample)
    assert set(picked) == set(every)  # every kind of question is in it
    for category, count in every.items():  # each kind keeps its share, within one question
        assert abs(picked[category] - 25 * count / len(questions)) <= 1, category
    order = {q.id: i for i, q in enumerate(questions)}
    assert [order[q.id] for q in sample] == sorted(order[q.id] for q in sample)  # file order
    assert sample_questions(questions, 500, seed=1) == questions


def test_eval_sample_scores_only_the_sample(cfg: str, tmp_path: Path) -> None:
    code, out = run("--config", cfg, "eval", "--model", "extractive", "--sample", "8",
                    "--seed", "3", "--out", str(tmp_path / "s"))
    assert code == 0, out
    report = json.loads((tmp_path / "s" / "report.json").read_text())
    expected = sample_questions(load_questions(CORPUS / "questions.jsonl"), 8, seed=3)
    assert [r["id"] for r in report["results"]] == [q.id for q in expected]
    assert report["questions_file"].endswith("(sample 8, seed 3)")
