"""Scoring shared by both pipelines of benchmarks/baseline.py, so neither gets its own rules.

* Retrieval: the rank of the first retrieved chunk holding a ``support`` snippet
  (``bot.evaluate.contains_any``, as ``bot.evaluate.support_rank`` does).
* Abstention: one detector, :func:`abstains`, on each pipeline's final answer text.
* Key facts: ``bot.evaluate.fact_recall``; an abstaining answer scores 0 (as bot.evaluate does).
* Citation support: :class:`SupportChecker`, citebot's own test (``bot.answering.check``:
  content-word overlap, best sentence cosine, numbers present), run on every sentence of an
  answer against the texts that pipeline retrieved; a sentence counts as supported when any
  of them supports it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.answering.check import is_supported, lexical_support, parse_markers
from bot.evaluate import contains_any, percentile
from bot.question_sets import Question
from bot.text import cosine, numbers, sentences

NO_ANSWER = re.compile(
    r"\b(i|we) (do not|don't|dont) know\b|"
    r"\b(can ?not|can't|unable to) (be )?(answer|determine|find|tell|say)\b|"
    r"\b(context|sources?|text|passages?|documents?|articles?|information|pieces)\b[^.]*?"
    r"\b(does not|doesn't|do not|don't|did not)\b[^.]*?"
    r"\b(mention|contain|provide|cover|say|include|specify|state|discuss|address|give)|"
    r"\bno (information|mention|details?|data)\b|"
    r"\bnot (mentioned|provided|covered|stated|specified|discussed|included|available)\b",
    re.IGNORECASE)
"""Refusal wording: the tutorial prompt's "I don't know", citebot's "The sources don't cover
this.", and the usual variants ("the context does not mention ...", "no information")."""


def abstains(answer: str) -> bool:
    """The answer declines: its first sentence says it doesn't know / the texts don't say.
    Only the first sentence counts, so "X is Y; the context doesn't mention Z" is an answer;
    an empty answer is an abstention (nothing was claimed)."""
    parsed = parse_markers(answer)
    return not parsed or bool(NO_ANSWER.search(parsed[0].text))


Embed = Callable[[Sequence[str]], list[list[float]]]


class SupportChecker:
    """Which answer sentences the retrieved texts support, by the thresholds of
    ``bot.answering.check``."""

    def __init__(self, embed: Embed) -> None:
        self.embed = embed
        self._vectors: dict[str, list[float]] = {}

    def _vectors_of(self, texts: Sequence[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        for text, vector in zip(missing, self.embed(missing) if missing else [], strict=True):
            self._vectors[text] = vector
        return [self._vectors[t] for t in texts]

    def supported(self, answer: str, passages: Sequence[str]) -> tuple[int, int]:
        """(supported sentences, all sentences) of ``answer`` against ``passages``."""
        claims = [p.text for p in parse_markers(answer)]
        units = [[s.text for s in sentences(p)] or [p] for p in passages]
        claim_vectors = self._vectors_of(claims)
        unit_vectors = [self._vectors_of(us) for us in units]
        count = 0
        for claim, vector in zip(claims, claim_vectors, strict=True):
            count += any(
                numbers(claim) <= numbers(text) and is_supported(
                    lexical_support(claim, text),
                    max((cosine(vector, u) for u in vectors), default=0.0))
                for text, vectors in zip(passages, unit_vectors, strict=True))
        return count, len(claims)


def stratified_sample(questions: Sequence[Question], n: int, seed: int) -> list[Question]:
    """``n`` questions keeping the shares of answerable, unanswerable and follow-up ones
    (largest remainder, at least one of each kind when n allows), in file order."""
    if n >= len(questions):
        return list(questions)
    strata: dict[str, list[Question]] = {}
    for q in questions:
        strata.setdefault(kind(q), []).append(q)
    names = sorted(strata)
    exact = {s: n * len(strata[s]) / len(questions) for s in names}
    quota = {s: int(exact[s]) for s in names}
    if n >= len(names):
        quota = {s: max(1, quota[s]) for s in names}
    for s in sorted(names, key=lambda s: quota[s] - exact[s]):
        if sum(quota.values()) >= n:
            break
        quota[s] += 1
    while sum(quota.values()) > n:  # the "at least one" floor overshot: trim the largest
        quota[max(names, key=lambda s: quota[s])] -= 1
    rng = random.Random(seed)
    chosen = {q.id for s in names for q in rng.sample(strata[s], min(quota[s], len(strata[s])))}
    return [q for q in questions if q.id in chosen]


def kind(question: Question) -> str:
    if not question.answerable:
        return "unanswerable"
    return "follow-up" if question.history else "answerable"


@dataclass
class Row:
    """One question through one pipeline."""

    id: str
    kind: str
    query: str
    support_rank: int | None = None
    retrieval_s: float = 0.0
    answer: str = ""
    draft: str = ""
    abstained: bool = False
    fact_recall: float | None = None
    supported: int = 0
    sentences: int = 0
    draft_supported: int = 0
    draft_sentences: int = 0
    first_token_s: float | None = None
    total_s: float | None = None
    retrieved: list[str] = field(default_factory=list)
    error: str = ""


def support_rank(texts: Sequence[str], support: Sequence[str]) -> int | None:
    """1-based rank of the first text holding a support snippet (bot.evaluate's rule)."""
    return next((i for i, t in enumerate(texts, start=1) if contains_any(t, support)), None)


def figures(rows: Sequence[Row], questions: Sequence[Question], answered: bool) -> dict[str, float]:
    """The compared figures of one pipeline over one run."""
    by_id = {q.id: q for q in questions}
    ranked = [r.support_rank for r in rows if by_id[r.id].answerable and by_id[r.id].support]
    out = {"hit@1": _mean([k == 1 for k in ranked]),
           "hit@5": _mean([k is not None and k <= 5 for k in ranked]),
           "mrr": _mean([1.0 / k if k else 0.0 for k in ranked]),
           "retrieval_p50": percentile([r.retrieval_s for r in rows], 50),
           "retrieval_p95": percentile([r.retrieval_s for r in rows], 95)}
    if not answered:
        return out
    claims = [r for r in rows if not r.abstained]
    out.update({
        "fact_recall": _mean([r.fact_recall for r in rows if r.fact_recall is not None]),
        "abstention_accuracy": _mean([r.abstained != by_id[r.id].answerable for r in rows]),
        "false_abstention_rate": _mean([r.abstained for r in rows if by_id[r.id].answerable]),
        "false_answer_rate": _mean([not r.abstained for r in rows if not by_id[r.id].answerable]),
        "citation_support": _ratio(sum(r.supported for r in claims),
                                   sum(r.sentences for r in claims)),
        # Every draft that makes claims, also those citebot then turned into an abstention.
        "draft_support": _ratio(sum(r.draft_supported for r in rows),
                                sum(r.draft_sentences for r in rows))})
    for key in ("first_token", "total"):
        values = [v for r in rows if (v := getattr(r, f"{key}_s")) is not None]
        out[f"{key}_p50"] = percentile(values, 50)
        out[f"{key}_p95"] = percentile(values, 95)
    return out


def _mean(values: Sequence[float | bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
