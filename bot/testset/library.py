"""The library's own question file: questions saved from the chat and drafted from the
documents, kept beside the index (``<data_dir>/questions.jsonl``, the shipped set's format).

``--questions library`` and ``--out library`` name it on the command line. A question whose
document is removed is flagged there, with the reason, instead of failing on every run.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.question_sets import Question, load_questions, question_record

if TYPE_CHECKING:
    from bot.settings import Settings

LIBRARY = "library"
"""What ``--questions`` and ``--out`` take to mean the library's question file."""
FILE_NAME = "questions.jsonl"
_lock = threading.Lock()  # one writer at a time in this process; the file is replaced whole


def library_file(settings: Settings) -> Path:
    return settings.data_dir / FILE_NAME


def is_library(name: object) -> bool:
    return str(name) == LIBRARY


def read_questions(path: Path) -> list[Question]:
    """The file's questions; none when it does not exist yet or is empty."""
    if not path.is_file() or not path.read_text(encoding="utf-8").strip():
        return []
    return load_questions(path)


def write_questions(path: Path, questions: Iterable[Question]) -> None:
    """Write a question set (replacing the file at once, so a reader never sees half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_text("".join(json.dumps(question_record(q), ensure_ascii=False) + "\n"
                                 for q in questions), encoding="utf-8")
    temporary.replace(path)


def add_questions(path: Path, questions: Iterable[Question]) -> int:
    """Add questions to the file; one with an id already there replaces it. Returns how
    many the file holds now."""
    with _lock:
        kept = {q.id: q for q in read_questions(path)}
        kept.update((q.id, q) for q in questions)
        write_questions(path, kept.values())
        return len(kept)


def remove_question(path: Path, question_id: str) -> bool:
    with _lock:
        questions = read_questions(path)
        kept = [q for q in questions if q.id != question_id]
        write_questions(path, kept)
        return len(kept) < len(questions)


def flag_documents(path: Path, doc_ids: Collection[str]) -> list[Question]:
    """Flag every question that depends on one of ``doc_ids`` (now removed); the flagged."""
    if not doc_ids or not path.is_file():
        return []
    when = time.strftime("%Y-%m-%d %H:%M")
    with _lock:
        questions = read_questions(path)
        flagged = [replace(q, flagged=f"its document '{gone}' was removed from the index on "
                                      f"{when}; save the question again or delete it")
                   for q in questions if not q.flagged
                   for gone in [next((d for d in q.docs if d in doc_ids), "")] if gone]
        changed = {q.id: q for q in flagged}
        if changed:
            write_questions(path, [changed.get(q.id, q) for q in questions])
        return flagged
