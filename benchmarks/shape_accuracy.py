"""How often does bot/shape.py's classify() decide the shape a careful reader expects, and
would a learned model do better? Scores three deciders per shape on labelled questions:

- rules: ``bot.answering.shape.classify`` (cue words, no model);
- model only: multinomial logistic regression on the question's MiniLM embedding;
- rules+model: the same regression on [embedding, one-hot of the rules' decision].

The regressions train on the TUNE halves (seed corpus, sqlnosql, everyday-tune, each
corpus's questions-tune.jsonl); the TEST halves (everyday-test, each corpus's
questions-test.jsonl) are only scored, and the seed set by 5-fold cross-validation (each fold
left out of its own training). Table questions (a plan of their own) are left out.

    .venv/bin/python benchmarks/shape_accuracy.py [--corpus DIR ...] [--misses]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import common  # noqa: F401  (sets the offline environment first)
import numpy as np

from bot.answering import shape
from bot.backends.embedders import make_embedder

ROOT = Path(__file__).resolve().parents[1]
CLASSES = shape.SHAPES
SEED = ROOT / "corpus/questions.jsonl"
TUNE = [ROOT / "tests/data/sqlnosql/questions.jsonl",
        ROOT / "tests/data/shapes/everyday-tune.jsonl",
        *sorted(ROOT.glob("tests/data/corpora/*/questions-tune.jsonl"))]
TEST = [ROOT / "tests/data/shapes/everyday-test.jsonl",
        *sorted(ROOT.glob("tests/data/corpora/*/questions-test.jsonl"))]
Row = tuple[str, str]


def features(embedding: np.ndarray, rule_kind: str, classes: Sequence[str]) -> np.ndarray:
    """The embedding followed by the rules' decision, one-hot over ``classes``."""
    onehot = np.array([1.0 if rule_kind == c else 0.0 for c in classes])
    return np.concatenate([embedding, onehot])


def load(path: Path) -> list[Row]:
    """(question, kind) of each labelled row; table questions (a plan of their own) left out."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(r["question"], r["kind"]) for r in rows if r["kind"] in CLASSES]


def matrix(rows: Sequence[Row], embedded: dict[str, np.ndarray], with_rules: bool) -> np.ndarray:
    kinds = [shape.classify(q).kind if with_rules else "" for q, _ in rows]
    return np.array([features(embedded[q], k, CLASSES)
                     for (q, _), k in zip(rows, kinds, strict=True)])


def fit(x: np.ndarray, labels: Sequence[str], l2: float,
        steps: int = 800) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, classes weighted to balance, full-batch gradient."""
    y = np.array([CLASSES.index(k) for k in labels])
    onehot = np.eye(len(CLASSES))[y]
    counts = onehot.sum(0)
    weight = (len(y) / (len(CLASSES) * np.maximum(counts, 1)))[y][:, None]
    w, b = np.zeros((x.shape[1], len(CLASSES))), np.zeros(len(CLASSES))
    for _ in range(steps):
        logits = x @ w + b
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        grad = weight * (p - onehot) / weight.sum()
        w -= 2.0 * (x.T @ grad + l2 * w)
        b -= 2.0 * grad.sum(0)
    return w, b


def predictor(w: np.ndarray, b: np.ndarray) -> Callable[[np.ndarray], list[str]]:
    return lambda x: [CLASSES[i] for i in np.argmax(x @ w + b, axis=1)]


def report(name: str, rows: Sequence[Row], guesses: Sequence[str]) -> str:
    cells = []
    for kind in CLASSES:
        pairs = [(g, k) for g, (_, k) in zip(guesses, rows, strict=True) if k == kind]
        cells.append(f"{sum(g == k for g, k in pairs) / max(len(pairs), 1):.2f}")
    total = sum(g == k for g, (_, k) in zip(guesses, rows, strict=True)) / len(rows)
    return f"| {name} | {len(rows)} | {total:.2f} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument("--misses", action="store_true", help="print wrong test answers")
    parser.add_argument("--corpus", type=Path, action="append", default=[],
                        help="another corpus folder with questions-tune/-test.jsonl")
    args = parser.parse_args()
    tune_files = TUNE + [c / "questions-tune.jsonl" for c in args.corpus]
    test_files = TEST + [c / "questions-test.jsonl" for c in args.corpus]
    seed, tune = load(SEED), [r for p in tune_files if p.is_file() for r in load(p)]
    tests = {f"{p.parent.name}/{p.name}": load(p) for p in test_files if p.is_file()}
    everything = seed + tune + [r for rows in tests.values() for r in rows]
    embedder = make_embedder("minilm")
    embedder.embed_query("warm-up")
    started = time.perf_counter()
    embedded = {q: np.array(embedder.embed_query(q)) for q, _ in everything}
    ms = 1000 * (time.perf_counter() - started) / len(embedded)
    started = time.perf_counter()
    for q, _ in everything:
        shape.classify(q)
    rule_ms = 1000 * (time.perf_counter() - started) / len(everything)
    print(f"{len(embedded)} questions: embedding {ms:.1f} ms each, rules {rule_ms:.2f} ms each")
    print("| set / method | n | all | " + " | ".join(CLASSES) + " |")
    print("|---|---|---|" + "---|" * len(CLASSES))
    for with_rules in (False, True):
        label = "rules+model" if with_rules else "model only"
        folds = np.arange(len(seed)) % 5
        guesses = [""] * len(seed)
        for fold in range(5):
            train = [r for r, f in zip(seed, folds, strict=True) if f != fold] + tune
            w, b = fit(matrix(train, embedded, with_rules), [k for _, k in train], args.l2)
            held = [i for i, f in enumerate(folds) if f == fold]
            for i, g in zip(held, predictor(w, b)(matrix([seed[i] for i in held], embedded,
                                                          with_rules)), strict=True):
                guesses[i] = g
        if not with_rules:
            print(report("seed (5-fold) rules", seed, [shape.classify(q).kind for q, _ in seed]))
        print(report(f"seed (5-fold) {label}", seed, guesses))
        w, b = fit(matrix(seed + tune, embedded, with_rules), [k for _, k in seed + tune], args.l2)
        for name, rows in tests.items():
            if not with_rules:
                print(report(f"{name} rules", rows, [shape.classify(q).kind for q, _ in rows]))
            got = predictor(w, b)(matrix(rows, embedded, with_rules))
            print(report(f"{name} {label}", rows, got))
            if args.misses and with_rules:
                for g, (q, k) in zip(got, rows, strict=True):
                    if g != k:
                        print(f"    {k:>14} got {g:<14} {q}")

if __name__ == "__main__":
    main()
