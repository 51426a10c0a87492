"""Evaluation: per-question scores and the aggregated report over a question set
(``bot.question_sets`` reads and writes the sets)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from bot.answering.check import MARKER
from bot.errors import CitebotError
from bot.question_sets import Question
from bot.schema import Answer, Passage
from bot.text import normalise

METRICS = ("hit@1", "hit@5", "mrr", "fact_recall", "abstention_accuracy", "false_abstention_rate",
           "false_answer_rate", "citation_validity", "support_rate", "citation_hit",
           "retrieval_p50", "retrieval_p95", "first_content_p50", "first_content_p95",
           "first_token_p50", "first_token_p95", "total_p50", "total_p95",
           "prompt_tokens", "prompt_new_tokens", "generated_tokens")
LOWER_IS_BETTER = frozenset(m for m in METRICS if m.endswith(("_rate", "_p50", "_p95",
                                                              "_tokens")))
TOKENS = {"prompt_tokens": "prompt", "prompt_new_tokens": "prompt_new",
          "generated_tokens": "generated"}  # metric: Answer.tokens key (means per answer)


@dataclass(frozen=True)
class QuestionResult:
    """What one question scored, and the answer it got."""

    id: str
    question: str
    category: str
    answerable: bool
    answer: str
    abstained: bool
    citations: list[dict[str, Any]]
    query_used: str
    support_rank: int | None       # 1-based rank of the first passage holding a support snippet
    fact_recall: float | None
    missed_facts: list[list[str]]
    citation_valid: bool
    supported_sentences: int
    unsupported_sentences: int
    citation_hit: bool | None
    timings: dict[str, float]
    error: str = ""
    has_support: bool = False      # the question names support snippets (hit@k counts it)
    kind: str = ""                 # the question's shape as the set says (fact, list, ...)
    shape: str = ""                # the shape the bot answered it as
    tokens: dict[str, int] = field(default_factory=dict)  # what the model's answer cost
    origin: str = "shipped"        # where the question came from (see Question.origin)


@dataclass
class Report:
    """An evaluation run: the aggregate metrics and every question's row."""

    metrics: dict[str, float]
    results: list[QuestionResult]
    model: str
    settings: dict[str, Any]
    questions_file: str = ""
    started: str = ""
    seconds: float = 0.0
    by_category: dict[str, dict[str, float]] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    flagged: list[dict[str, str]] = field(default_factory=list)  # not asked: id, question, why

    def metric(self, name: str) -> float | None:
        """A headline metric ('fact_recall'), or one of a group: 'kind:list/fact_recall',
        'category:breadth/total_p50'. None when there is no such figure."""
        if "/" not in name:
            return self.metrics.get(name)
        group, _, metric = name.partition("/")
        space, _, key = group.partition(":")
        groups = {"kind": self.by_kind, "category": self.by_category}.get(space, {})
        return groups.get(key, {}).get(metric)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        results = [QuestionResult(**r) for r in data.get("results", [])]
        return cls(**{**data, "results": results})


class Answerer(Protocol):
    def ask(self, question: str, history: Sequence[Any] = ..., **options: Any) -> Answer: ...


# -- per-question metrics -----------------------------------------------------------------------
def contains_any(text: str, alternatives: Iterable[str]) -> bool:
    norm = normalise(text)
    return any(normalise(a) in norm for a in alternatives if a.strip())


def support_rank(passages: Sequence[Passage], support: Sequence[str]) -> int | None:
    """1-based rank of the first passage that contains a support snippet."""
    for rank, passage in enumerate(passages, start=1):
        if contains_any(passage.text, support):
            return rank
    return None


def fact_recall(answer: str, key_facts: Sequence[Sequence[str]]) -> tuple[float, list[list[str]]]:
    """Share of fact groups the answer covers, and the groups it missed."""
    missed = [list(g) for g in key_facts if not contains_any(answer, g)]
    return (1.0 - len(missed) / len(key_facts) if key_facts else 1.0), missed


def citations_valid(answer: Answer) -> bool:
    """Every ``[n]`` in the text names a citation, and every citation names a passage."""
    shown = {int(n) for m in MARKER.finditer(answer.text) for n in
             m.group(1).replace(";", ",").split(",")}
    numbers = {c.number for c in answer.citations}
    shown_chunks = {p.chunk.chunk_id for p in answer.passages}
    return shown <= numbers and all(c.chunk_id in shown_chunks if c.chunk_id else
                                    1 <= c.number <= len(answer.passages)
                                    for c in answer.citations)


def score(question: Question, answer: Answer) -> QuestionResult:
    """Every metric of one answered question."""
    recall, missed = (fact_recall(answer.text, question.key_facts) if question.answerable
                      and not answer.abstained else (0.0, [list(g) for g in question.key_facts]))
    hit = (any(contains_any(c.quote, question.support) for c in answer.citations)
           if question.support and not answer.abstained else None)
    return QuestionResult(
        id=question.id, question=question.question, category=question.category,
        answerable=question.answerable, answer=answer.text, abstained=answer.abstained,
        citations=[{"number": c.number, "title": c.title, "quote": c.quote} for c in
                   answer.citations], query_used=answer.query_used,
        support_rank=support_rank(answer.passages, question.support) if question.support else None,
        fact_recall=recall if question.answerable and question.key_facts else None,
        missed_facts=missed if question.answerable else [], citation_valid=citations_valid(answer),
        supported_sentences=sum(s.supported for s in answer.sentences),
        unsupported_sentences=len(answer.dropped) + sum(not s.supported for s in answer.sentences),
        citation_hit=hit, timings=dict(answer.timings), error=answer.error,
        has_support=bool(question.support), kind=question.kind, shape=answer.shape,
        tokens=dict(answer.tokens), origin=question.origin)


def failed(question: Question, error: str) -> QuestionResult:
    """The row of a question the bot could not answer at all (counts as wrong everywhere)."""
    return QuestionResult(question.id, question.question, question.category, question.answerable,
                          "", False, [], "", None, 0.0 if question.answerable else None,
                          [list(g) for g in question.key_facts], False, 0, 0,
                          False if question.support else None, {}, error,
                          has_support=bool(question.support), kind=question.kind,
                          origin=question.origin)


# -- aggregation --------------------------------------------------------------------------------
def aggregate(results: Sequence[QuestionResult]) -> dict[str, float]:
    """The report's headline figures over all questions."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    # Every question with support snippets counts; one whose support was never retrieved
    # is a miss (rank None), not left out.
    ranks = [r.support_rank for r in answerable if r.has_support]
    sentences = sum(r.supported_sentences + r.unsupported_sentences for r in results)
    metrics = {
        "questions": float(len(results)),
        "hit@1": _mean([rank == 1 for rank in ranks]),
        "hit@5": _mean([rank is not None and rank <= 5 for rank in ranks]),
        "mrr": _mean([1.0 / rank if rank else 0.0 for rank in ranks]),
        "fact_recall": _mean([r.fact_recall for r in answerable if r.fact_recall is not None]),
        "abstention_accuracy": _mean([r.abstained != r.answerable for r in results]),
        "false_abstention_rate": _mean([r.abstained for r in answerable]),
        "false_answer_rate": _mean([not r.abstained for r in unanswerable]),
        "citation_validity": _mean([r.citation_valid for r in results if not r.error]),
        "support_rate": (sum(r.supported_sentences for r in results) / sentences
                         if sentences else 0.0),
        "citation_hit": _mean([r.citation_hit for r in answerable if r.citation_hit is not None]),
    }
    for key in ("retrieval", "first_content", "first_token", "total"):
        values = [r.timings[key] for r in results if key in r.timings]
        metrics[f"{key}_p50"] = percentile(values, 50)
        metrics[f"{key}_p95"] = percentile(values, 95)
    spent = [r.tokens for r in results if r.tokens]  # answers the model wrote a part of
    metrics.update({name: _mean([t.get(key, 0) for t in spent]) for name, key in TOKENS.items()})
    return metrics


def _mean(values: Sequence[float | bool]) -> float:
    return float(statistics.fmean(values)) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return float(values[0])
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1])


def by_category(results: Sequence[QuestionResult]) -> dict[str, dict[str, float]]:
    return grouped(results, lambda r: r.category or "uncategorised")


def by_kind(results: Sequence[QuestionResult]) -> dict[str, dict[str, float]]:
    """Every metric per question kind (fact, list, comparison, ...), latencies included:
    a breadth answer's first content and total time are what the kinds differ in."""
    return grouped(results, lambda r: r.kind or "fact")


def grouped(results: Sequence[QuestionResult], key: Callable[[QuestionResult], str]
            ) -> dict[str, dict[str, float]]:
    groups: dict[str, list[QuestionResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {name: aggregate(rs) for name, rs in sorted(groups.items())}


Progress = Callable[[int, int, QuestionResult], None]


def evaluate(bot: Answerer, questions: Sequence[Question], *, model: str | None = None,
             settings: dict[str, Any] | None = None, progress: Progress | None = None,
             cache: bool = False) -> Report:
    """Ask every question (with its history) and score the answers (from the answer cache
    only if ``cache``). A flagged question (its document was removed) is listed in the
    report's ``flagged``, not asked: it would fail for a reason that is not the bot's."""
    started = time.perf_counter()
    flagged = [{"id": q.id, "question": q.question, "flagged": q.flagged} for q in questions
               if q.flagged]
    questions = [q for q in questions if not q.flagged]
    results = []
    for i, question in enumerate(questions, start=1):
        history = [("user", h) for h in question.history]
        try:
            result = score(question, bot.ask(question.question, history, model=model,
                                             cache=cache))
        except CitebotError as exc:
            result = failed(question, str(exc))
        results.append(result)
        if progress:
            progress(i, len(questions), result)
    return Report(metrics=aggregate(results), results=results, model=model or "",
                  settings=settings or {}, started=time.strftime("%Y-%m-%d %H:%M:%S"),
                  seconds=round(time.perf_counter() - started, 1),
                  by_category=by_category(results), by_kind=by_kind(results),
                  flagged=flagged)
