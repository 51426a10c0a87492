"""Dump the extractive answers to a question set, one JSON line each, to diff two versions of
the pipeline: a refactor that changes no behaviour leaves the dump byte-identical.

    python benchmarks/dump_answers.py --data-dir DIR --questions corpus/questions.jsonl > a.jsonl

Each line holds what decides an answer (text, shape, blocks, citations with their spans,
sentences with their support, abstention, the query used), never timings. The extractive
backend is deterministic, so two runs of one version give the same file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import Bot
from bot.question_sets import load_questions
from bot.schema import Answer


def record(question_id: str, answer: Answer) -> dict[str, Any]:
    return {
        "id": question_id, "text": answer.text, "shape": answer.shape,
        "abstained": answer.abstained, "complete": answer.complete, "error": answer.error,
        "query_used": answer.query_used, "dropped": list(answer.dropped),
        "blocks": [asdict(b) for b in answer.blocks],
        "citations": [{"number": c.number, "doc_id": c.doc_id, "chunk_id": c.chunk_id,
                       "start": c.start, "end": c.end, "quote": c.quote,
                       "heading_path": list(c.heading_path)} for c in answer.citations],
        "sentences": [asdict(s) for s in answer.sentences],
        "passages": [p.chunk.chunk_id for p in answer.passages],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path, help="an ingested index")
    parser.add_argument("--questions", required=True, type=Path, action="append")
    args = parser.parse_args()
    bot = Bot.from_settings(model="extractive", data_dir=args.data_dir, answer_cache=False)
    try:
        for path in args.questions:
            for question in load_questions(path):
                answer = bot.ask(question.question, question.history)
                print(json.dumps(record(question.id, answer), ensure_ascii=False, sort_keys=True,
                                 default=str))
    finally:
        bot.close()


if __name__ == "__main__":
    main()
