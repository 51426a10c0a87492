#!/usr/bin/env bash
# Score one backend on every corpus, each half apart: the seed articles (corpus/questions.jsonl),
# sqlnosql, and the three development corpora's tuning and test halves (issue 22). Prints one row
# per corpus, half and kind; the reports stay in OUT_DIR.
# Usage: MODEL=extractive bash benchmarks/corpora_eval.sh [OUT_DIR] [extra `citebot eval` flags]
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE
out=${1:-$(mktemp -d)}; shift || true
model=${MODEL:-extractive}
citebot=${CITEBOT:-.venv/bin/citebot}
py=${PYTHON:-.venv/bin/python}
sets=(seed:corpus:all=corpus/questions.jsonl
  sqlnosql:tests/data/sqlnosql:all=tests/data/sqlnosql/questions.jsonl)
for c in md-docs pdf-docs python-docs; do
  d=tests/data/corpora/$c
  sets+=("$c:$d/docs:tune=$d/questions-tune.jsonl,test=$d/questions-test.jsonl")
done
for entry in "${sets[@]}"; do
  IFS=: read -r name docs halves <<<"$entry"
  w=$out/$name; mkdir -p "$w"
  [ -d "$w/data" ] || "$citebot" ingest --rebuild --data-dir "$w/data" "$docs" > "$w/ingest.log" 2>&1
  for half in ${halves//,/ }; do
    "$citebot" eval --model "$model" --data-dir "$w/data" --questions "${half#*=}" \
      --out "$w/report-${half%%=*}" "$@" > "$w/eval-${half%%=*}.log" 2>&1
  done
done
"$py" - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
print(f"{'corpus':<12} {'half':<5} {'kind':<15} {'n':>3} {'recall':>7} {'abst':>6} {'valid':>6}"
      f" {'p50 s':>6}")
for report in sorted(out.glob("*/report-*/report.json")):
    r = json.loads(report.read_text())
    corpus, half = report.parts[-3], report.parts[-2].removeprefix("report-")
    extra = [(f"[{c}]", r["by_category"][c]) for c in ("breadth", "unanswerable")
             if c in r["by_category"]]
    for kind, m in [*sorted(r["by_kind"].items()), *extra, ("ALL", r["metrics"])]:
        print(f"{corpus:<12} {half:<5} {kind:<15} {m['questions']:>3.0f} {m['fact_recall']:>7.3f}"
              f" {m['abstention_accuracy']:>6.3f} {m['citation_validity']:>6.3f}"
              f" {m['total_p50']:>6.2f}")
PY
