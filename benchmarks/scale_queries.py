"""The scale benchmark's fixed queries: 30 from corpus/questions.jsonl, 20 from the corpus.

The generated ones are the opening words of a sentence in one of the first 900 chunks of the
benchmark corpus (present at every size), so "are those words in a top-5 passage" is a check
that retrieval still finds things as the corpus grows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from benchmarks.scale_cache import corpus_folder, load_corpus
from benchmarks.scale_corpus import write_corpus, write_manifest

REPO = Path(__file__).resolve().parents[1]
SEED_QUESTIONS = 30
GENERATED = 20
_SENTENCE = re.compile(r"[A-Z][^.!?\n]{40,200}[.!?]")


@dataclass(frozen=True)
class Query:
    text: str
    chunk_id: str | None = None  # the chunk a generated query was taken from

    def found_in(self, passage_text: str) -> bool:
        """Whether a passage holds the words this query was taken from (any copy counts)."""
        return self.text in " ".join(passage_text.split())


def ensure_corpus(size: int) -> Path:
    folder = corpus_folder(size)
    if not (folder / "corpus.json").exists():
        write_manifest(folder, write_corpus(folder, size))
    return folder


def bench_queries() -> list[Query]:
    lines = (REPO / "corpus" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    seeds = [json.loads(line) for line in lines if line.strip()]
    queries = [Query(q["question"]) for q in seeds if not q.get("history")][:SEED_QUESTIONS]
    _, chunks = load_corpus(ensure_corpus(1000))
    pool = chunks[:900]
    step = len(pool) // GENERATED
    for first in range(0, step * GENERATED, step):
        for chunk in pool[first:first + step]:  # the first chunk of each stretch with a sentence
            found = _SENTENCE.search(chunk.text)
            text = " ".join(found.group(0).split()[:12]) if found else ""
            if text and all(q.text != text for q in queries):
                queries.append(Query(text, chunk.chunk_id))
                break
    return queries
