"""Where should citebot stop answering? The weak-evidence bars, measured on every corpus.

Evidence is weak (the answer abstains) when no passage of the top 5 is close in meaning
(dense cosine below ``MIN_DENSE_SIMILARITY``) and none holds most of the question's telling
words (idf-weighted coverage below ``MIN_COVERAGE``), or when the question uses a name no
document does (``bot.absent``). This script retrieves every labelled question of every corpus
(the seed articles, sqlnosql, and each development corpus's tuning and test halves; follow-ups
left out, their names are in the turns before), then prints, for each bar over a range and
with the name rule off and on, how many unanswerable questions abstain and how many answerable
ones would: the curve the bars were chosen from. Choose on the tuning rows (seed, sqlnosql,
*-tune); the test rows only report.

    .venv/bin/python benchmarks/calibrate_abstention.py [--work DIR]

``--work`` holds one index per corpus (``DIR/<corpus>/data``, as benchmarks/corpora_eval.sh
leaves them); a missing one is built with ``citebot ingest --rebuild``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import common

from bot.answering.evidence import MIN_COVERAGE, MIN_DENSE_SIMILARITY
from bot.api import Bot

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {"seed": (ROOT / "corpus", {"all": ROOT / "corpus/questions.jsonl"}),
           "sqlnosql": (ROOT / "tests/data/sqlnosql",
                        {"all": ROOT / "tests/data/sqlnosql/questions.jsonl"})}
for _name in ("md-docs", "pdf-docs", "python-docs"):
    _dir = ROOT / "tests/data/corpora" / _name
    CORPORA[_name] = (_dir / "docs", {h: _dir / f"questions-{h}.jsonl" for h in ("tune", "test")})
DENSE_BARS = (0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55)
COVERAGE_BARS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass(frozen=True)
class Scored:
    corpus: str
    half: str
    question: str
    answerable: bool
    dense: float
    coverage: float
    absent: tuple[str, ...]

    def abstains(self, dense_bar: float, coverage_bar: float, names: bool) -> bool:
        weak = self.dense < dense_bar and self.coverage < coverage_bar
        return weak or (names and bool(self.absent))


def index(work: Path, name: str, docs: Path) -> Path:
    data = work / name / "data"
    if not data.is_dir():
        subprocess.run([str(ROOT / ".venv/bin/citebot"), "ingest", "--rebuild", "--data-dir",
                        str(data), str(docs)], check=True, capture_output=True)
    return data


def score_corpus(work: Path, name: str) -> list[Scored]:
    docs, halves = CORPORA[name]
    bot = Bot(common.isolated_settings(index(work, name, docs), model="extractive"))
    corpus, rows = bot.corpus, []
    for half, path in halves.items():
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line) if line.strip() else None
            if not q or q.get("history"):
                continue
            passages = bot.retrieve(q["question"], 5)
            rows.append(Scored(
                name, half, q["question"],
                q.get("answerable", True) and q.get("category") != "unanswerable",
                max((p.scores.get("dense", 0.0) for p in passages), default=0.0),
                max((p.scores.get("coverage", 0.0) for p in passages), default=0.0),
                corpus.absent_names(q["question"])))
    return rows


def cell(rows: list[Scored], dense_bar: float, coverage_bar: float, names: bool) -> str:
    """'unanswerable abstaining / all unanswerable, answerable abstaining / all answerable'."""
    un = [r for r in rows if not r.answerable]
    ans = [r for r in rows if r.answerable]
    caught = sum(r.abstains(dense_bar, coverage_bar, names) for r in un)
    wrong = sum(r.abstains(dense_bar, coverage_bar, names) for r in ans)
    return f"{caught}/{len(un)} {wrong}/{len(ans)}"


def table(rows: list[Scored], bars: list[tuple[float, float]], title: str) -> None:
    groups = {f"{r.corpus}/{r.half}": [s for s in rows if (s.corpus, s.half) == (r.corpus, r.half)]
              for r in rows}
    tune = [r for r in rows if r.half != "test"]
    test = [r for r in rows if r.half == "test"]
    print(f"\n{title}: each cell is 'unanswerable that abstain / unanswerable, "
          "answerable that abstain / answerable'")
    print("| dense bar | coverage bar | names | " + " | ".join(groups) + " | TUNING | TEST |")
    print("|---|---|---|" + "---|" * (len(groups) + 2))
    for dense_bar, coverage_bar in bars:
        for names in (False, True):
            chosen = (dense_bar, coverage_bar, names) == (MIN_DENSE_SIMILARITY, MIN_COVERAGE,
                                                          True)
            cells = [cell(g, dense_bar, coverage_bar, names) for g in groups.values()]
            print(f"| {dense_bar:.2f}{' (chosen)' if chosen else ''} | {coverage_bar:.1f} | "
                  f"{'on' if names else 'off'} | " + " | ".join(cells) +
                  f" | {cell(tune, dense_bar, coverage_bar, names)}"
                  f" | {cell(test, dense_bar, coverage_bar, names)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="citebot-calibrate-"))
    rows = [r for name in CORPORA for r in score_corpus(work, name)]
    table(rows, [(d, MIN_COVERAGE) for d in DENSE_BARS], "Dense bar (coverage bar as set)")
    table(rows, [(MIN_DENSE_SIMILARITY, c) for c in COVERAGE_BARS],
          "Coverage bar (dense bar as set)")
    print("\nNames the rule finds absent (answerable questions first: each is a false abstention)")
    for r in sorted(rows, key=lambda r: not r.answerable):
        if r.absent:
            print(f"  {'ANSWERABLE' if r.answerable else 'unanswerable'} {r.corpus}/{r.half} "
                  f"{', '.join(r.absent)}: {r.question}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
