#!/usr/bin/env bash
# Is a generated test set a fair proxy? For each corpus: index it alone, draft questions from its
# recorded structure (`citebot questions generate`), score them and the hand-written questions of
# the same documents with the extractive backend, and print both per kind (issue 23).
# Usage: bash benchmarks/generated_vs_hand.sh [OUT_DIR]   (about 8 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE
out=${1:-$(mktemp -d)}
citebot=${CITEBOT:-.venv/bin/citebot}
py=${PYTHON:-.venv/bin/python}
corpora=(seed:corpus:corpus/questions.jsonl
  sqlnosql:tests/data/sqlnosql:tests/data/sqlnosql/questions.jsonl)
for c in md-docs pdf-docs python-docs; do
  d=tests/data/corpora/$c
  corpora+=("$c:$d/docs:$d/questions-tune.jsonl,$d/questions-test.jsonl")
done
for entry in "${corpora[@]}"; do
  IFS=: read -r name docs questions <<<"$entry"
  w=$out/$name; mkdir -p "$w"
  cat ${questions//,/ } > "$w/hand.jsonl"
  "$citebot" ingest --rebuild --data-dir "$w/data" "$docs" > "$w/ingest.log" 2>&1
  "$citebot" questions generate --data-dir "$w/data" --out "$w/generated.jsonl" 2>&1 | tail -1
  for set in generated hand; do
    "$citebot" eval --model extractive --data-dir "$w/data" --questions "$w/$set.jsonl" \
      --out "$w/report-$set" > "$w/eval-$set.log" 2>&1
  done
done
"$py" - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
print(f"{'corpus':<12} {'kind':<15} {'generated n':>11} {'recall':>7} {'abst':>6}"
      f" {'hand n':>7} {'recall':>7} {'abst':>6}")
for w in sorted(p for p in out.iterdir() if p.is_dir()):
    gen, hand = (json.loads((w / f"report-{s}" / "report.json").read_text())["by_kind"]
                 for s in ("generated", "hand"))
    for kind in sorted(set(gen) | set(hand)):
        def cells(r: dict) -> str:
            m = r.get(kind)
            return (f"{m['questions']:>7.0f} {m['fact_recall']:>7.3f} {m['abstention_accuracy']:>6.3f}"
                    if m else f"{'-':>7} {'-':>7} {'-':>6}")
        print(f"{w.name:<12} {kind:<15}     {cells(gen)} {cells(hand)}")
PY
