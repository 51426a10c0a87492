"""Citebot side by side with the naive tutorial pipeline (benchmarks/naive_rag.py), in one run.

Both pipelines get the same questions, the same MiniLM weights and the same llama.cpp model
(citebot's local backend, loaded once; the baseline streams from its OpenAI-compatible URL
with citebot's temperature and max_tokens). Both are scored by benchmarks/baseline_scoring.py.
Prints a table, writes JSON to benchmarks/results/ and a Markdown section (one per kind of
run, the others kept) to docs/perf/baseline.md.

    .venv/bin/python benchmarks/baseline.py                    # all 90 questions (~45 min idle)
    .venv/bin/python benchmarks/baseline.py --limit 30         # stratified, seeded sample
    .venv/bin/python benchmarks/baseline.py --retrieval-only   # no LLM, all questions (~1 min)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import common
from baseline_scoring import Row, SupportChecker, abstains, figures, kind, stratified_sample
from baseline_scoring import support_rank as rank_of
from naive_rag import CHUNK_OVERLAP, CHUNK_SIZE, PROMPT, TOP_K, NaiveRag, chat_model

from bot.answering.followup import rewrite_query
from bot.api import Bot, normalise_history
from bot.backends.local import LocalGenerator
from bot.evaluate import aggregate, fact_recall, score
from bot.question_sets import Question

WARM_UP = "What is a large language model?"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=common.QUESTIONS)
    parser.add_argument("--corpus", type=Path, default=common.CORPUS)
    parser.add_argument("--limit", type=int, default=0,
                        help="a stratified sample of N questions (default: all)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the --limit sample")
    parser.add_argument("--retrieval-only", action="store_true",
                        help="retrieval figures only: no LLM, cheap")
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/"
                        "baseline[-retrieval|-limitN].json)")
    parser.add_argument("--markdown", type=Path, default=common.PERF_DOCS / "baseline.md")
    parser.add_argument("--note", default="", help="conditions of the run, kept with the figures")
    return parser.parse_args(argv)


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
    started, first, draft = time.perf_counter(), None, ""
    with bot.stream(q.question, [("user", h) for h in q.history]) as stream:
        for piece in stream.text():
            first = first if first is not None else time.perf_counter() - started
            draft += piece
        answer = stream.answer()
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

    settings = common.isolated_settings(tmp / "citebot", corpus=(args.corpus,), model="local")
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
    every = common.question_set(args.questions)
    questions = stratified_sample(every, args.limit, args.seed) if args.limit else every
    mode = "retrieval-only" if args.retrieval_only else "answers"
    suffix = "-retrieval" if args.retrieval_only else ""
    suffix += f"-limit{args.limit}" if args.limit else ""
    out = args.out = args.out or common.RESULTS / f"baseline{suffix}.json"
    machine = common.machine()
    result: dict[str, Any] = {
        "command": common.command_line(argv), "commit": machine["commit"],
        "started": time.strftime("%Y-%m-%d %H:%M:%S"), "mode": mode,
        "note": args.note, "questions": len(questions), "seed": args.seed,
        "ids": [q.id for q in questions],
        "kinds": {k: sum(kind(q) == k for q in questions) for k in
                  ("answerable", "follow-up", "unanswerable")},
        "load_before": machine["load_average"], "machine": machine}
    out.parent.mkdir(parents=True, exist_ok=True)  # the rows log is written as the run goes
    with common.stopwatch() as took, tempfile.TemporaryDirectory(prefix="citebot-baseline-") as tmp:
        result.update(run(args, questions, Path(tmp)))
    result["seconds"] = round(took["seconds"], 1)
    result["load_after"] = common.load_average()
    result["table"] = compare(result["metrics"])
    common.write_json(out, result)
    print(common.text_table(HEADERS, cells(result["table"])))
    print("\n".join(notes(result)))
    title = f"## {'Retrieval only' if args.retrieval_only else 'Answers'} ({len(questions)} q)"
    body = "\n\n".join([title, common.markdown_table(HEADERS, cells(result["table"])),
                         *notes(result)])
    common.write_section(args.markdown, f"baseline{suffix}", body,
                         "Citebot vs the naive tutorial pipeline")
    print(f"wrote {out} and {args.markdown}")


# -- the report ----------------------------------------------------------------------------------
FIGURES = (  # key, label, higher is better, display scale
    ("hit@1", "hit@1", True, 1), ("hit@5", "hit@5", True, 1), ("mrr", "MRR", True, 1),
    ("fact_recall", "key-fact recall (answerable)", True, 1),
    ("abstention_accuracy", "abstention accuracy", True, 1),
    ("false_abstention_rate", "false abstentions (answerable)", False, 1),
    ("false_answer_rate", "false answers (unanswerable)", False, 1),
    ("citation_support", "citation support, final answers", True, 1),
    ("draft_support", "citation support, model drafts", True, 1),
    ("retrieval_p50", "retrieval p50 (ms)", False, 1000),
    ("retrieval_p95", "retrieval p95 (ms)", False, 1000),
    ("first_token_p50", "first token p50 (s)", False, 1),
    ("first_token_p95", "first token p95 (s)", False, 1),
    ("total_p50", "total answer p50 (s)", False, 1),
    ("total_p95", "total answer p95 (s)", False, 1))


def compare(metrics: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    table = []
    for key, label, higher, scale in FIGURES:
        if key not in metrics["citebot"]:
            continue
        c, b = metrics["citebot"][key], metrics["baseline"][key]
        better = "tie" if abs(c - b) < 1e-9 else ("citebot" if (c > b) == higher else "baseline")
        table.append({"figure": key, "label": label, "citebot": c * scale,
                      "baseline": b * scale, "ratio": c / b if b else None, "better": better})
    return table


HEADERS = ("figure", "citebot", "baseline", "citebot/baseline", "better")


def cells(table: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for row in table:
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}"
        digits = 1 if "(ms)" in row["label"] else 2 if "(s)" in row["label"] else 3
        rows.append([row["label"], f"{row['citebot']:.{digits}f}",
                     f"{row['baseline']:.{digits}f}", ratio, row["better"]])
    return rows


def notes(result: dict[str, Any]) -> list[str]:
    own = result.get("citebot_own_metrics", {})
    lines = [f"Note: {result['note']}"] if result.get("note") else []
    lines += [
        f"Command: `{result['command']}` (commit {result['commit']}, {result['started']}, "
        f"{result['questions']} questions: {result['kinds']}; load average "
        f"{result['load_before']} before, {result['load_after']} after).",
        f"Baseline: raw text of corpus/*.txt, RecursiveCharacterTextSplitter({CHUNK_SIZE}, "
        f"{CHUNK_OVERLAP}) -> {result['baseline_chunks']} chunks, same MiniLM, Chroma "
        f"similarity top {TOP_K}, the classic stuff prompt, same llama.cpp model, temperature "
        f"and max_tokens. Follow-ups are searched and asked with the raw question (no history),"
        " as tutorials do; citebot rewrites them.",
        "hit@k/MRR: rank of the first chunk holding a support snippet among 5 (the baseline "
        "hands only its top 4 to the model), over answerable questions. Retrieval time: one "
        "Bot.retrieve call (query embedding, hybrid search, fusion) vs one similarity_search "
        "call (query embedding, Chroma search), alternating which goes first.",
    ]
    if "fact_recall" not in result["metrics"]["citebot"]:
        return lines
    lines += [
        "Abstention: one detector for both (first sentence says \"don't know\" / the "
        "texts don't cover it). Citation support: citebot's support test "
        "(bot.answering.check) on each sentence of non-abstaining answers against the "
        "passages that pipeline retrieved; "
        "citebot's final answers pass it by construction (it drops sentences that fail), so "
        "the draft row compares the models' raw text.",
        "Retrieval rows come from a first pass where every query is new to both pipelines; "
        "Bot caches query embeddings, so in the answer pass citebot reuses that vector "
        "(~30 ms of a 10-40 s answer).",
    ]
    if own:
        lines.append(f"citebot's own bot.evaluate figures in this run: support_rate "
                     f"{own['support_rate']:.3f}, citation_validity "
                     f"{own['citation_validity']:.3f}, citation_hit {own['citation_hit']:.3f}.")
    return lines


if __name__ == "__main__":
    main()
