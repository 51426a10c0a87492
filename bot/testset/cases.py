"""Test cases saved from the chat: an answer the user vouches for ("Save as test question")
or one they say is wrong ("Mark wrong", a known failure with their note).

The question keeps its conversation, the answer's cited spans as support and the answer's key
terms as key facts; the user edits the key facts before saving (one group a line,
alternatives split by ``|``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from bot.answering.check import MARKER
from bot.errors import InputError
from bot.question_sets import Question
from bot.schema import Answer
from bot.testset.drafts import FIGURE, PERCENT, YEAR, item_head, names_in
from bot.text import squash

MAX_TERMS = 5


def key_terms(answer: Answer, question: str = "") -> list[str]:
    """What the answer states that a right answer must state too: the heads of its list items
    and table cells, else its figures, dates and names; terms of the question left out."""
    asked = {squash(w) for w in question.split()}
    heads = [item_head(c.text.rstrip("…")) for b in answer.blocks if b.kind in ("bullets", "table")
             for c in (*b.items, *(cell for row in b.rows for cell in row[1:]))]
    text = MARKER.sub("", answer.text)
    values = [*(m.group(0) for p in (PERCENT, YEAR, FIGURE) for m in p.finditer(text)),
              *names_in(text)]
    terms = [t for t in dict.fromkeys(heads or values) if t and squash(t) not in asked]
    return terms[:MAX_TERMS]


def facts_text(terms: Sequence[Sequence[str]] | Sequence[str]) -> str:
    """Key facts as the editing box shows them: a group a line, alternatives split by '|'."""
    return "\n".join(t if isinstance(t, str) else " | ".join(t) for t in terms)


def parse_facts(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(group for line in text.splitlines()
                 if (group := tuple(a.strip() for a in line.split("|") if a.strip())))


def from_answer(answer: Answer, history: Sequence[str] = (), *, key_facts: str | None = None,
                wrong: bool = False, note: str = "") -> Question:
    """The answer as a test question: ``saved`` (the answer is right: its key terms are what
    a right answer states), or with ``wrong`` a known failure (``origin`` ``wrong``) whose
    key facts the user says the answer should have had."""
    question = answer.question.strip()
    if not question:
        raise InputError("this answer has no question to save; ask one in the chat first")
    facts = parse_facts(key_facts) if key_facts is not None else tuple(
        (t,) for t in key_terms(answer, question))
    if wrong and not note.strip() and not facts:
        raise InputError("say what is wrong with the answer (a note or the key facts it "
                         "should have) before marking it wrong")
    support = tuple(dict.fromkeys(c.quote for c in answer.citations if c.quote.strip()))
    docs = tuple(dict.fromkeys([c.doc_id for c in answer.citations]
                               or [p.doc_id for p in answer.passages[:1]]))
    origin = "wrong" if wrong else "saved"
    key = "\x1f".join([question, *history])
    return Question(
        id=f"{origin}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}", question=question,
        answerable=wrong or not answer.abstained, history=tuple(history), key_facts=facts,
        support=support, reference=re.sub(r"\s+", " ", MARKER.sub("", answer.text)).strip(),
        category=answer.shape, kind=answer.shape if not answer.abstained or wrong else
        "unanswerable", origin=origin, docs=docs, note=note.strip())
