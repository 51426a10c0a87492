"""The printed table, the Markdown section and the notes of benchmarks/baseline.py."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from naive_rag import CHUNK_OVERLAP, CHUNK_SIZE, TOP_K

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


def render(table: Sequence[dict[str, Any]], markdown: bool) -> str:
    head = ("figure", "citebot", "baseline", "citebot/baseline", "better")
    lines = [_line(head, markdown)] + ([_line(("---",) * 5, True)] if markdown else [])
    for row in table:
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}"
        digits = 1 if "(ms)" in row["label"] else 2 if "(s)" in row["label"] else 3
        lines.append(_line((row["label"], f"{row['citebot']:.{digits}f}",
                            f"{row['baseline']:.{digits}f}", ratio, row["better"]), markdown))
    return "\n".join(lines)


def _line(cells: Sequence[str], markdown: bool) -> str:
    if markdown:
        return "| " + " | ".join(cells) + " |"
    return f"{cells[0]:<34}" + "".join(f"{c:>18}" for c in cells[1:])


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
        "texts don't cover it). Citation support: citebot's support test (bot.cite) on each "
        "sentence of non-abstaining answers against the passages that pipeline retrieved; "
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


def write_markdown(path: Path, section: str, body: str) -> None:
    """Replace this run kind's section of the Markdown file, keeping the others."""
    start, end = f"<!-- {section} -->", f"<!-- /{section} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else (
        "# Citebot vs the naive tutorial pipeline\n\nWritten by `benchmarks/baseline.py`.\n")
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
