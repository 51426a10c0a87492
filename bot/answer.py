"""compose -> generate -> cite -> abstain: one question's passages become an Answer.

Abstention is decided here, not left to the prompt: when the evidence is weak the
model is not asked at all, and a draft whose sentences the sources don't support
becomes the no-answer sentence plus what the sources do cover nearby.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from bot.absent import absent_sentence
from bot.backends.base import Evidence, GenerationRequest, Generator, Message, Usage
from bot.cite import CitedAnswer, Embed, cite, lexical_support, quotable_spans, statement_spans
from bot.errors import GenerationError
from bot.prompt import (
    EXAMPLE_ANSWER,
    EXAMPLE_QUESTION,
    EXAMPLE_SOURCES,
    NEARBY_INTRO,
    NO_ANSWER,
    system_prompt,
    user_message,
)
from bot.rows import row_statement
from bot.schema import Answer, Citation, Passage, Sentence
from bot.text import Span, cosine

log = logging.getLogger(__name__)

MIN_DENSE_SIMILARITY = 0.35
MIN_COVERAGE = 0.5
"""Evidence is weak when no passage is close in meaning (cosine below MIN_DENSE_SIMILARITY)
and none contains most of the question's telling words (idf-weighted coverage below
MIN_COVERAGE). Measured on every corpus by benchmarks/calibrate_abstention.py (its curve is in
benchmarks/results/calibrate_abstention.txt): on the tuning sets coverage 0.4 and 0.5 differ by
one answerable question of 183, dense 0.30 to 0.40 by one, so the bars stay where they were set."""
EXCERPT_CHARS = 320
EVIDENCE_CHARS = 800
"""Each passage shows the model its best sentence; further sentences, best first across all
passages, fill the prompt up to EVIDENCE_CHARS in all and EXCERPT_CHARS a passage. On 2 CPU
cores llama.cpp reads ~70 prompt tokens a second, so every 100 characters cut from the
evidence is about a third of a second off the time to first token."""
OFF_TOPIC = 0.2  # relevance of a best sentence that shares next to nothing with the question
MIN_SHOWN = 2
_NO_ANSWER_PATTERNS = re.compile(
    r"sources? (do(es)?n'?t|do(es)? not) (cover|contain|state|mention|provide|say)|"
    r"(not|no) (mentioned|stated|covered|information) (in|by) the sources|"
    r"cannot be answered from the sources|no_answer", re.IGNORECASE)

Event = str | Answer


@dataclass(frozen=True)
class AnswerRequest:
    """One question, ready to answer."""

    question: str
    query_used: str
    passages: tuple[Passage, ...]
    temperature: float
    max_tokens: int
    model: str
    topic: str = ""
    """What the model is told the questions are about (the ``topic`` setting or the library's
    titles); empty: 'the documents in the library'."""
    absent: tuple[str, ...] = ()
    """Names the question uses that no document does (``bot.absent``): the sources don't
    cover it, however close the passages retrieved."""


def select_evidence(query: str, passages: Sequence[Passage], embed: Embed) -> tuple[Evidence, ...]:
    """Number the passages and cut each to the sentences that matter for the query, within
    the prompt budget (see EVIDENCE_CHARS)."""
    units = [_units(p) for p in passages]
    flat = [u.text for us in units for u in us]
    vectors = embed([query, *flat])
    query_vector, rest = vectors[0], vectors[1:]
    scores: list[list[float]] = []
    for spans in units:
        scores.append([cosine(query_vector, v) + 0.3 * lexical_support(query, s.text)
                       for s, v in zip(spans, rest[:len(spans)], strict=True)])
        rest = rest[len(spans):]
    chosen = _fill_budget(units, scores)
    return tuple(_evidence(number, passage, spans, picked, passage_scores)
                 for number, (passage, spans, picked, passage_scores)
                 in enumerate(zip(passages, units, chosen, scores, strict=True), start=1))


def _fill_budget(units: Sequence[Sequence[Span]], scores: Sequence[Sequence[float]]
                 ) -> list[set[int]]:
    """Every passage's best unit, then the best remaining units overall while they fit."""
    best = [max(range(len(s)), key=lambda i, s=s: s[i]) for s in scores]  # type: ignore[misc]
    chosen = [{b} for b in best]
    sizes = [len(spans[b].text) for spans, b in zip(units, best, strict=True)]
    total = sum(sizes)
    extras = sorted(((score, p, i) for p, row in enumerate(scores) for i, score in enumerate(row)
                     if i != best[p]), reverse=True)
    for _, p, i in extras:
        size = len(units[p][i].text)
        if total + size <= EVIDENCE_CHARS and sizes[p] + size <= EXCERPT_CHARS:
            chosen[p].add(i)
            sizes[p] += size
            total += size
    return chosen


def _units(passage: Passage) -> list[Span]:
    """Sentences and table rows that can answer something: headings, questions and
    fragments of a few words are context, not statements. Recognised injected instructions
    are left out, so the model never reads them (others are met by the prompt and the
    support check)."""
    spans = quotable_spans(passage.chunk.text)
    statements = [s for s in spans if "|" in s.text or
                  (len(s.text.split()) >= 4 and not s.text.endswith("?"))]
    return statements or spans or [Span("", 0, 0)]  # nothing but instructions: show nothing


def _evidence(number: int, passage: Passage, spans: list[Span], chosen: set[int],
              scores: list[float]) -> Evidence:
    # The sentence an extractive answer quotes is a statement, never a heading line ('# A
    # Practical Guide'); the model still sees a short heading in its excerpt as context, and
    # the budget counts it as it always did.
    said = {(s.start, s.end) for s in statement_spans(passage.chunk)}
    best = max([i for i, s in enumerate(spans) if (s.start, s.end) in said] or range(len(spans)),
               key=lambda i: scores[i])
    excerpt = " ".join(spans[i].text for i in sorted(chosen))
    if passage.chunk.prefix and "|" in spans[best].text:
        excerpt = f"{passage.chunk.prefix.strip()}\n{excerpt}"
    # A table row is said with its row's label and its columns' names, never as raw pipes.
    best_sentence = (row_statement(passage.chunk, spans[best].start, spans[best].end)
                     if "|" in spans[best].text else None) or spans[best].text
    return Evidence(number=number, passage=passage, excerpt=excerpt,
                    best_sentence=best_sentence, relevance=round(scores[best], 3))


def build_messages(question: str, evidence: Sequence[Evidence], topic: str = ""
                   ) -> tuple[Message, ...]:
    lines = []
    for ev in shown_evidence(evidence):
        # The section heading alone: every article here is about the same topic, so the
        # title (often 60+ characters) told the model little and cost ~15 tokens a source.
        where = (ev.passage.chunk.heading_path or (ev.passage.chunk.title,))[-1]
        lines.append(f"[{ev.number}] ({where}) {ev.excerpt}")
    return (Message("system", system_prompt(topic)),
            Message("user", user_message(EXAMPLE_SOURCES, EXAMPLE_QUESTION)),
            Message("assistant", EXAMPLE_ANSWER),
            Message("user", user_message("\n".join(lines), question)))


def shown_evidence(evidence: Sequence[Evidence]) -> list[Evidence]:
    """The evidence worth the model's reading time: a source whose best sentence is far
    from the question (under OFF_TOPIC and under half the best one's relevance) is left out
    of the prompt, though it stays numbered and citable. On 2 cores every prompt token costs
    ~17 ms, and such sources were a third of a fact question's new prompt tokens."""
    best = max((e.relevance for e in evidence), default=0.0)
    kept = [e for e in evidence if e.relevance >= min(OFF_TOPIC, best / 2)]
    if len(kept) >= MIN_SHOWN:
        return kept
    return sorted(sorted(evidence, key=lambda e: -e.relevance)[:MIN_SHOWN],
                  key=lambda e: e.number)


def evidence_is_weak(passages: Sequence[Passage]) -> bool:
    """No passage is close in meaning, and none contains the question's telling words."""
    dense = max((p.scores.get("dense", 0.0) for p in passages), default=0.0)
    coverage = max((p.scores.get("coverage", 0.0) for p in passages), default=0.0)
    return dense < MIN_DENSE_SIMILARITY and coverage < MIN_COVERAGE


def answer_events(request: AnswerRequest, generator: Generator, embed: Embed) -> Iterator[Event]:
    """Stream the answer's text pieces, then yield the final, checked :class:`Answer`."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    cached = memo(embed)
    evidence = select_evidence(request.query_used, request.passages, cached)
    if request.absent or evidence_is_weak(request.passages):
        yield _abstain(request, evidence, timings, started, reason=(
            f"no document mentions {', '.join(request.absent)}" if request.absent
            else "weak evidence"))
        return
    gen_request = GenerationRequest(build_messages(request.question, evidence, request.topic),
                                    request.question,
                                    evidence, request.temperature, request.max_tokens)
    draft, error, tokens = "", "", dict[str, int]()
    try:
        for piece in timed_stream(generator, gen_request, timings, started, tokens):
            if not draft:
                timings["first_content"] = timings["first_token"]
            draft += piece
            yield piece
    except GenerationError as exc:
        error = str(exc)
    timings["generate"] = time.perf_counter() - started
    yield replace(_finish(request, evidence, draft, error, cached, timings, started),
                  tokens=tokens)


def timed_stream(generator: Generator, request: GenerationRequest, timings: dict[str, float],
                 started: float, tokens: dict[str, int]) -> Iterator[str]:
    """The generator's text pieces, noting when the first one came (``first_token``, seconds
    from ``started``) and, in ``tokens``, what the generation cost when the backend says."""
    for piece in generator.stream(request):
        if isinstance(piece, Usage):
            tokens.update(piece.as_dict())
            continue
        timings.setdefault("first_token", time.perf_counter() - started)
        yield piece


def _finish(request: AnswerRequest, evidence: tuple[Evidence, ...], draft: str, error: str,
            embed: Embed, timings: dict[str, float], started: float) -> Answer:
    if error and not draft.strip():
        return _answer(request, evidence, "", (), (), timings, started, abstained=False,
                       complete=False, error=error)
    if declined(draft) and not error:
        return _abstain(request, evidence, timings, started, reason="model declined")
    checked: CitedAnswer = cite(draft, evidence, embed)
    if not checked.sentences:
        return replace(_abstain(request, evidence, timings, started,
                                reason="no supported sentence", error=error),
                       dropped=checked.dropped)
    answer = _answer(request, evidence, checked.text, checked.sentences, checked.citations,
                     timings, started, abstained=False, complete=not error, error=error)
    return replace(answer, dropped=checked.dropped)


def declined(draft: str) -> bool:
    """The model said the sources don't answer the question."""
    return bool(_NO_ANSWER_PATTERNS.search(draft))


def _abstain(request: AnswerRequest, evidence: Sequence[Evidence], timings: dict[str, float],
             started: float, *, reason: str, error: str = "") -> Answer:
    """The no-answer sentence, then what the nearest passages do say, cited."""
    log.info("abstaining on %r: %s", request.question, reason)
    # best_sentence is never an injected instruction (see _units); "" means nothing else was
    # left in the passage, and there is nothing to quote.
    quotable = [e for e in evidence if e.best_sentence]
    nearby = sorted(quotable, key=lambda e: -e.relevance)[:2]
    citations = tuple(_whole_sentence_citation(e) for e in sorted(nearby, key=lambda e: e.number))
    text = NO_ANSWER
    if request.absent:
        text += f" {absent_sentence(request.absent)}"
    if citations:
        text += f" {NEARBY_INTRO} " + " ".join(f"{_shorten(c.quote)} [{c.number}]"
                                                 for c in citations)
    return _answer(request, evidence, text, (), citations, timings, started, abstained=True,
                   complete=not error, error=error)


def _whole_sentence_citation(ev: Evidence) -> Citation:
    chunk = ev.passage.chunk
    span = next((s for s in _units(ev.passage) if s.text == ev.best_sentence),
                Span(chunk.text, 0, len(chunk.text)))
    return Citation(number=ev.number, doc_id=chunk.doc_id, title=chunk.title, quote=span.text,
                    start=chunk.start + span.start, end=chunk.start + span.end,
                    passage_text=chunk.full_text, heading_path=chunk.heading_path,
                    chunk_id=chunk.chunk_id)


def _shorten(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + "…"


def _answer(request: AnswerRequest, evidence: Sequence[Evidence], text: str,
            sentence_list: Sequence[Sentence], citations: Sequence[Citation],
            timings: dict[str, float], started: float, *, abstained: bool, complete: bool,
            error: str = "") -> Answer:
    timings["total"] = time.perf_counter() - started
    return Answer(text=text, citations=tuple(citations),
                  passages=tuple(e.passage for e in evidence), abstained=abstained,
                  query_used=request.query_used, question=request.question,
                  sentences=tuple(sentence_list), timings=dict(timings), model=request.model,
                  complete=complete, error=error)


def memo(embed: Embed) -> Embed:
    """Embed each distinct text once per answer (evidence units are embedded twice otherwise)."""
    cache: dict[str, list[float]] = {}

    def cached(texts: Sequence[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in cache))
        for text, vector in zip(missing, embed(missing) if missing else [], strict=True):
            cache[text] = vector
        return [cache[t] for t in texts]

    return cached
