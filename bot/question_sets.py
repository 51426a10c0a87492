"""Question sets: the questions an evaluation asks, read from and written to JSON Lines.

The question-set format (JSON Lines, one object per line; only ``question`` is required)::

    {"id": "q01", "question": "What does RLHF stand for?", "answerable": true,
     "history": [], "key_facts": [["reinforcement learning from human feedback"]],
     "support": ["Reinforcement Learning from Human Feedback (RLHF)"], "reference": "..."}
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.errors import InputError


@dataclass(frozen=True)
class Question:
    """One test question; see the module docstring for the file format."""

    id: str
    question: str
    answerable: bool = True
    history: tuple[str, ...] = ()
    key_facts: tuple[tuple[str, ...], ...] = ()
    support: tuple[str, ...] = ()
    reference: str = ""
    category: str = ""
    kind: str = ""
    origin: str = "shipped"        # shipped (a file people wrote), generated, saved or wrong
    docs: tuple[str, ...] = ()     # the documents its support came from
    flagged: str = ""              # why it can no longer be asked (its document was removed)
    note: str = ""                 # what the user said was wrong with the answer


def load_questions(path: Path) -> list[Question]:
    """Read a JSON Lines question set; a bad line raises InputError naming the line."""
    if not path.is_file():
        raise InputError(f"question set '{path}' does not exist; pass --questions FILE")
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            questions.append(_question(_parse_line(line, path, number), number))
    if not questions:
        raise InputError(f"question set '{path}' has no questions")
    return questions


def _parse_line(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{number} is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not str(data.get("question", "")).strip():
        raise InputError(f"{path}:{number} needs a \"question\" field")
    return data


def _question(data: dict[str, Any], number: int) -> Question:
    return Question(
        id=str(data.get("id") or f"line{number}"), question=str(data["question"]),
        answerable=bool(data.get("answerable", True)),
        history=tuple(str(h) for h in data.get("history", [])),
        key_facts=tuple(tuple(str(a) for a in group) for group in data.get("key_facts", [])),
        support=tuple(str(s) for s in data.get("support", [])),
        reference=str(data.get("reference", "")), category=str(data.get("category", "")),
        kind=str(data.get("kind") or "fact"), origin=str(data.get("origin") or "shipped"),
        docs=tuple(str(d) for d in data.get("docs", [])), flagged=str(data.get("flagged", "")),
        note=str(data.get("note", "")))


def question_record(question: Question) -> dict[str, Any]:
    """A question as one line of a question set (the inverse of reading it)."""
    record = asdict(question)
    return {k: list(map(list, v)) if k == "key_facts" else list(v) if isinstance(v, tuple)
            else v for k, v in record.items() if v or k in ("answerable", "question", "id")}


def sample_questions(questions: Sequence[Question], size: int, seed: int) -> list[Question]:
    """A seeded sample of about ``size`` questions, stratified by category: each category keeps
    its share of the set (at least one question), drawn with ``seed``, in file order. CI scores
    the slow local model on such a sample; the same seed always picks the same questions."""
    if size >= len(questions):
        return list(questions)
    groups: dict[str, list[Question]] = {}
    for q in questions:
        groups.setdefault(q.category or "uncategorised", []).append(q)
    rng = random.Random(seed)
    chosen: set[int] = set()
    for name in sorted(groups):
        group = groups[name]
        share = max(1, round(size * len(group) / len(questions)))
        chosen.update(id(q) for q in rng.sample(group, min(share, len(group))))
    return [q for q in questions if id(q) in chosen]
