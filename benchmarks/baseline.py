"""Citebot side by side with the naive tutorial pipeline (benchmarks/naive_rag.py), in one run.

Both pipelines get the same questions, the same MiniLM weights and the same llama.cpp model
(citebot's local backend, loaded once; the baseline streams from its OpenAI-compatible URL
with citebot's temperature and max_tokens). Both are scored by benchmarks/baseline_scoring.py.
Prints a table, writes JSON to benchmarks/results/ and a Markdown section to
docs/perf/baseline.md.

    .venv/bin/python benchmarks/baseline.py                    # all 90 questions (~45 min idle)
    .venv/bin/python benchmarks/baseline.py --limit 30         # stratified, seeded sample
    .venv/bin/python benchmarks/baseline.py --retrieval-only   # no LLM, all questions (~1 min)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from baseline_report import compare, notes, render, write_markdown
from baseline_scoring import Row, SupportChecker, abstains, figures, kind, stratified_sample
from baseline_scoring import support_rank as rank_of
from naive_rag import PROMPT, NaiveRag, chat_model

from bot.api import Bot, normalise_history
from bot.backends.embedders import offline_environment
from bot.backends.local import LocalGenerator
from bot.evaluate import Question, aggregate, fact_recall, load_questions, score
from bot.retrieve import rewrite_query
from bot.schema import Answer
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
WARM_UP = "What is a large language model?"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "corpus" / "questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--limit", type=int, default=0,
                        help="a stratified sample of N questions (default: all)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the --limit sample")
    parser.add_argument("--retrieval-only", action="store_true",
                        help="retrieval figures only: no LLM, cheap")
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/"
                        "baseline[-retrieval|-limitN].json)")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "perf" / "baseline.md")
    parser.add_argument("--note", default="", help="conditions of the run, kept with the figures")
    return parser.parse_args(argv)


def citebot_settings(tmp: Path, corpus: Path) -> Settings:
    """citebot's defaults (no citebot.toml, no CITEBOT_* env) on a fresh index in ``tmp``."""
    empty = tmp / "citebot.toml"
    empty.write_text("")
    return load_settings({"data_dir": tmp / "citebot", "corpus": (corpus,), "model": "local"},
                         environ={}, config_file=empty)


def retrieval_pass(bot: Bot, naive: NaiveRag,
                   questions: Sequence[Question]) -> dict[str, list[Row]]:
    """Time each pipeline's retrieval call alone (alternating which goes first)."""
    rows: dict[str, list[Row]] = {"citebot": [], "baseline": []}
    bot.retrieve(WARM_UP)  # loads the embedder and builds the keyword index: not timed
    naive.retrieve(WARM_UP)
    for i, q in enumerate(questions):
        for name in (("citebot", "baseline") if i % 2 == 0 else ("baseline", "citebot")):
            rows[name].append(_retrieve_one(bot, naive, q, name))
    return rows


def _retrieve_one(bot: Bot, naive: NaiveRag, q: Question, name: str) -> Row:
    if name == "citebot":
        query = rewrite_query(q.question, normalise_history([("user", h) for h in q.history]))
        started = time.perf_counter()
        texts = [p.text for p in bot.retrieve(query)]
        seconds = time.perf_counter() - started
    else:
        query = q.question  # tutorials search with the raw question, follow-up or not
        started = time.perf_counter()
        naive.retrieve(query)
        seconds = time.perf_counter() - started
        # Ranks over 5 like citebot's (the pipeline itself passes only its top 4 on).
        texts = [d.page_content for d in naive.retrieve(query, k=5)]
    return Row(q.id, kind(q), query, rank_of(texts, q.support) if q.support else None, seconds,
               retrieved=[" ".join(t.split())[:80] for t in texts])  # previews keep JSON small


def answer_pass(bot: Bot, naive: NaiveRag, llm: Any, questions: Sequence[Question],
                rows: dict[str, list[Row]], checker: SupportChecker, log: Path) -> list[Any]:
    """Answer every question with one pipeline, then with the other; each row also goes to
    ``log`` (JSON Lines) as it is scored, so a long run that dies keeps them. Blocks, not
    alternation: llama.cpp serves one slot, so interleaving two prompt formats would throw
    away each pipeline's cached prompt prefix on every question (take timings on a quiet
    machine, so neither block is favoured by load)."""
    own = []
    log.write_text("")
    for name in ("citebot", "baseline"):
        if name == "citebot":
            bot.ask(WARM_UP)  # caches citebot's fixed prompt prefix
        else:
            "".join(naive.stream_answer(WARM_UP, naive.retrieve(WARM_UP), llm))
        for i, q in enumerate(questions):
            row = rows[name][i]
            if name == "citebot":
                own.append(_answer_citebot(bot, q, row, checker))
            else:
                _answer_baseline(naive, llm, q, row, checker)
            _score_answer(q, row)
            with log.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"pipeline": name, **asdict(row)}) + "\n")
            print(f"  {i + 1}/{len(questions)} {q.id} {name}: {row.total_s or 0:.1f} s, "
                  f"{'abstained' if row.abstained else 'answered'}", file=sys.stderr, flush=True)
    return own


def _answer_citebot(bot: Bot, q: Question, row: Row, checker: SupportChecker) -> Any:
    started, first, draft, answer = time.perf_counter(), None, "", None
    for event in bot.stream(q.question, [("user", h) for h in q.history]):
        first = first if first is not None else time.perf_counter() - started
        if isinstance(event, Answer):
            answer = event
        else:
            draft += event
    assert answer is not None
    row.total_s, row.first_token_s = time.perf_counter() - started, first
    row.answer, row.draft, row.error = answer.text, draft, answer.error
    passages = [p.text for p in answer.passages]
    row.supported, row.sentences = checker.supported(answer.text, passages)
    row.draft_supported, row.draft_sentences = checker.supported(draft, passages)
    return score(q, answer)


def _answer_baseline(naive: NaiveRag, llm: Any, q: Question, row: Row,
                     checker: SupportChecker) -> None:
    started, first, text = time.perf_counter(), None, ""
    documents = naive.retrieve(q.question)
    try:
        for piece in naive.stream_answer(q.question, documents, llm):
            first = first if first is not None else time.perf_counter() - started
            text += piece
    except Exception as exc:  # any client error: the row is kept, marked, and scored as is
        row.error = f"{type(exc).__name__}: {exc}"
    row.total_s, row.first_token_s = time.perf_counter() - started, first
    row.answer = row.draft = text
    passages = [d.page_content for d in documents]
    row.supported, row.sentences = checker.supported(text, passages)
    row.draft_supported, row.draft_sentences = row.supported, row.sentences


def _score_answer(q: Question, row: Row) -> None:
    row.abstained = abstains(row.answer)
    if q.answerable and q.key_facts:
        row.fact_recall = 0.0 if row.abstained else fact_recall(row.answer, q.key_facts)[0]
    if abstains(row.draft):  # a draft that declines makes no claims to check
        row.draft_supported = row.draft_sentences = 0


def run(args: argparse.Namespace, questions: Sequence[Question], tmp: Path) -> dict[str, Any]:
    from ingest.pipeline import ingest_corpus

    settings = citebot_settings(tmp, args.corpus)
    ingest_corpus(settings)
    generator = LocalGenerator(settings)
    bot = Bot(settings, generators={"local": generator})
    naive = NaiveRag(args.corpus, tmp / "naive-chroma").build()
    checker = SupportChecker(bot.embedder.embed_documents)
    try:
        rows = retrieval_pass(bot, naive, questions)
        own: list[Any] = []
        if not args.retrieval_only:
            llm = chat_model(generator.client().base_url, temperature=settings.temperature,
                             max_tokens=settings.max_tokens)
            own = answer_pass(bot, naive, llm, questions, rows, checker,
                              args.out.with_suffix(".rows.jsonl"))
    finally:
        bot.close()
    answered = not args.retrieval_only
    metrics = {name: figures(rs, questions, answered) for name, rs in rows.items()}
    return {"metrics": metrics, "rows": {n: [asdict(r) for r in rs] for n, rs in rows.items()},
            "citebot_own_metrics": aggregate(own) if own else {},
            # Citebot's own abstention flag vs the shared detector on its text (should match).
            "detector_disagrees_with_citebot": [
                o.id for o, r in zip(own, rows["citebot"] if own else [], strict=True)
                if o.abstained != r.abstained],
            "citebot_settings": settings.public_dump(), "baseline_chunks": len(naive.chunks),
            "baseline_prompt": PROMPT}


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    offline_environment()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    every = load_questions(args.questions)
    questions = stratified_sample(every, args.limit, args.seed) if args.limit else every
    mode = "retrieval-only" if args.retrieval_only else "answers"
    suffix = "-retrieval" if args.retrieval_only else ""
    suffix += f"-limit{args.limit}" if args.limit else ""
    out = args.out = args.out or ROOT / "benchmarks" / "results" / f"baseline{suffix}.json"
    result: dict[str, Any] = {
        "command": shlex.join([".venv/bin/python", "benchmarks/baseline.py",
                               *(sys.argv[1:] if argv is None else argv)]),
        "commit": _commit(), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "mode": mode,
        "note": args.note, "questions": len(questions), "seed": args.seed,
        "ids": [q.id for q in questions],
        "kinds": {k: sum(kind(q) == k for q in questions) for k in
                  ("answerable", "follow-up", "unanswerable")},
        "load_before": [round(x, 2) for x in os.getloadavg()]}
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="citebot-baseline-") as tmp:
        result.update(run(args, questions, Path(tmp)))
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    result["table"] = compare(result["metrics"])
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(render(result["table"], markdown=False))
    print("\n".join(notes(result)))
    title = f"## {'Retrieval only' if args.retrieval_only else 'Answers'} ({len(questions)} q)"
    body = "\n\n".join([title, render(result["table"], markdown=True), *notes(result)])
    write_markdown(args.markdown, f"baseline{suffix}", body)
    print(f"wrote {out} and {args.markdown}")


def _commit() -> str:
    """HEAD, marked ``+dirty`` when the code under test differs from it."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--", "bot", "ingest", "benchmarks")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


if __name__ == "__main__":
    main()
