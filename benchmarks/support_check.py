"""How well does the citation support check separate supported from unsupported claims?

Positives: each answerable question's reference answer against the passage that holds its
support snippet. Negatives: the same claim against the support passage of a question seven
places on, when that passage holds none of the claim's key facts. Prints precision, recall
and the time per check, and writes benchmarks/results/support_check.json (or ``--out``).

    .venv/bin/python benchmarks/support_check.py     (needs `citebot ingest` first)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import common

from bot.answering.check import cite
from bot.api import Bot
from bot.backends.base import Evidence
from bot.evaluate import contains_any
from bot.schema import Chunk, Passage


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=common.RESULTS / "support_check.json")
    args = parser.parse_args()
    result = measure(Bot.from_settings(model="extractive"))
    print(" | ".join(f"{k}: {v}" for k, v in result.items()))
    common.write_json(args.out, result)
    print(f"wrote {args.out}")


def measure(bot: Bot) -> dict[str, float]:
    """Precision and recall of the support check on the claim/passage pairs (tests bar them:
    tests/benchmarks/test_support_check.py)."""
    verdicts, started = [], time.perf_counter()
    pairs = claim_pairs(bot)
    for claim, chunk, truth in pairs:
        ev = Evidence(1, Passage(chunk, 1.0), chunk.full_text)
        checked = cite(f"{claim.rstrip('.')} [1].", [ev], bot.embedder.embed_documents)
        verdicts.append((bool(checked.sentences), truth))
    seconds = (time.perf_counter() - started) / len(pairs)
    tp = sum(v and t for v, t in verdicts)
    fp = sum(v and not t for v, t in verdicts)
    fn = sum(t and not v for v, t in verdicts)
    return {"pairs": len(pairs), "positives": sum(t for _, t in verdicts),
            "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
            "ms_per_check": round(seconds * 1000, 1)}


def claim_pairs(bot: Bot) -> list[tuple[str, Chunk, bool]]:
    """Each reference answer with the passage holding its support (supported), and with the
    support passage of the question seven on when that holds none of its facts (not)."""
    chunks = bot.store.all_chunks()
    # Breadth references are several claims from several passages: the check judges one claim
    # against one passage, so only the single-claim questions make pairs.
    questions = [q for q in common.question_set()
                 if q.answerable and q.support and q.reference and q.category != "breadth"]
    holder = {q.id: next((c for c in chunks if contains_any(c.full_text, q.support)), None)
              for q in questions}
    questions = [q for q in questions if holder[q.id] is not None]
    pairs = []
    for i, q in enumerate(questions):
        own = holder[q.id]
        assert own is not None
        pairs.append((q.reference, own, True))
        other = holder[questions[(i + 7) % len(questions)].id]
        if other is not None and not any(contains_any(other.full_text, g) for g in q.key_facts):
            pairs.append((q.reference, other, False))
    return pairs


if __name__ == "__main__":
    main()
