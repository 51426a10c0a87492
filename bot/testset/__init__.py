"""Test questions for the user's own documents: drafted from the structure ingestion recorded
(``bot.testset.drafts``, ``bot.testset.absent``), saved from the chat (``bot.testset.cases``),
and the corpus's own question file they are kept in (``bot.testset.library``).

Every drafted question is in corpus/questions.jsonl's format, with ``kind``, ``key_facts``
and ``support`` snippets that are verbatim spans of its document, ``origin`` ``generated``
and the ``docs`` it depends on. No model writes them: each comes from a sentence, a list, a
table or a document's sections, so its expected facts can be checked against the document.
They are a second check beside questions people wrote, never a replacement for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from bot.errors import InputError
from bot.plans import Corpus
from bot.question_sets import Question
from bot.testset.absent import absent_questions
from bot.testset.drafts import (
    comparison_questions,
    fact_questions,
    list_questions,
    question_id,
    summary_questions,
)
from bot.text import normalise

__all__ = ["KINDS", "checked_docs", "checked_kinds", "counts", "generate", "question_id"]
KINDS = ("fact", "list", "comparison", "summary", "unanswerable")
_NAMED_DOC = re.compile(r'^(?:According to|In) "[^"]*", ')
Progress = Callable[[int, int], None]
"""Called with (documents done, documents in all)."""

_MAKERS: dict[str, Callable[[Corpus, str], list[Question]]] = {
    "fact": fact_questions, "list": list_questions, "comparison": comparison_questions,
    "summary": summary_questions, "unanswerable": absent_questions}


def generate(corpus: Corpus, *, docs: Sequence[str] | None = None, per_doc: int = 8,
             kinds: Sequence[str] = KINDS, progress: Progress | None = None) -> list[Question]:
    """Draft up to ``per_doc`` questions for each document (all of the corpus's by default),
    taking the kinds in turn so that each document gets some of every kind it can have;
    duplicates (the same question, or the same kind with the same key facts) are dropped."""
    kinds = checked_kinds(kinds)
    doc_ids = checked_docs(corpus, docs)
    if per_doc < 1:
        raise InputError(f"--per-doc {per_doc} drafts nothing; give 1 or more")
    out: list[Question] = []
    seen: set[str] = set()
    for done, doc_id in enumerate(doc_ids, start=1):
        drafts = {kind: _MAKERS[kind](corpus, doc_id) for kind in kinds}
        out += _take(drafts, per_doc, seen)
        if progress:
            progress(done, len(doc_ids))
    return out


def _take(drafts: dict[str, list[Question]], limit: int, seen: set[str]) -> list[Question]:
    """Round-robin over the kinds until ``limit`` questions are taken; each unseen once."""
    taken: list[Question] = []
    queues = {kind: list(qs) for kind, qs in drafts.items()}
    while len(taken) < limit and any(queues.values()):
        for queue in queues.values():
            while queue and len(taken) < limit:
                question = queue.pop(0)
                keys = _keys(question)
                if not keys & seen:
                    seen.update(keys)
                    taken.append(question)
                    break
    return taken


def _keys(question: Question) -> set[str]:
    facts = "|".join(sorted(normalise(g[0]) for g in question.key_facts if g))
    # The same thing asked of two documents ("who founded X?") is one question, not two.
    keys = {"q:" + normalise(_NAMED_DOC.sub("", question.question))}
    return keys | ({f"f:{question.kind}:{facts}"} if facts else set())


def checked_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    wanted = tuple(k.strip() for k in kinds if k.strip())
    unknown = [k for k in wanted if k not in KINDS]
    if unknown or not wanted:
        raise InputError(f"unknown question kind(s) {', '.join(map(repr, unknown)) or '(none)'};"
                         f" choose from: {', '.join(KINDS)}")
    return wanted


def checked_docs(corpus: Corpus, docs: Sequence[str] | None) -> list[str]:
    known = list(dict.fromkeys(c.doc_id for c in corpus.chunks))
    if not docs:
        return known
    missing = [d for d in docs if d not in known]
    if missing:
        raise InputError(f"no document {', '.join(map(repr, missing))} in the index; the ids "
                         f"there are: {', '.join(known) or '(none: ingest some first)'}")
    return list(dict.fromkeys(docs))


def counts(questions: Iterable[Question]) -> dict[str, int]:
    """How many questions of each kind, in KINDS order (other kinds after)."""
    found: dict[str, int] = {}
    for q in questions:
        found[q.kind] = found.get(q.kind, 0) + 1
    return {k: found[k] for k in (*KINDS, *sorted(set(found) - set(KINDS))) if k in found}

