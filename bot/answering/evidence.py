"""The evidence a question's answer stands on: whether retrieval found any worth answering
from (decided once per answer, here), and what of each passage the model reads.

Each passage shows the model its best sentence; further sentences, best first across all
passages, fill the prompt up to EVIDENCE_CHARS. A table row is said with its row's label and
its columns' names, never as raw pipes.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.check import lexical_support
from bot.backends.base import Embed, Evidence
from bot.instructions import quotable_spans, statement_spans
from bot.schema import Chunk, Passage
from bot.text import Span, cosine

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


def select_evidence(query: str, passages: Sequence[Passage], embed: Embed) -> tuple[Evidence, ...]:
    """Number the passages and cut each to the sentences that matter for the query, within
    the prompt budget (see EVIDENCE_CHARS)."""
    units = [evidence_units(p) for p in passages]
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


def evidence_units(passage: Passage) -> list[Span]:
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


def abstain_reason(passages: Sequence[Passage], absent: Sequence[str]) -> str:
    """Why the sources don't answer a question ('' when they may): a name it uses that no
    document does, or weak evidence. Decided once per answer, before the model is asked."""
    if absent:
        return f"no document mentions {', '.join(absent)}"
    return "weak evidence" if evidence_is_weak(passages) else ""


def evidence_is_weak(passages: Sequence[Passage]) -> bool:
    """No passage is close in meaning, and none contains the question's telling words."""
    dense = max((p.scores.get("dense", 0.0) for p in passages), default=0.0)
    coverage = max((p.scores.get("coverage", 0.0) for p in passages), default=0.0)
    return dense < MIN_DENSE_SIMILARITY and coverage < MIN_COVERAGE



def row_statement(chunk: Chunk, start: int, end: int) -> str | None:
    """The table row of ``chunk`` at ``chunk.text[start:end]`` as a statement, 'Learning
    approach — LLMs: uses transformers; Generative AI: GANs, diffusion', instead of its raw
    'Learning approach | uses transformers | GANs, diffusion'; None when that text is not a
    row of a table with a header."""
    lo, hi = chunk.start + start, chunk.start + end
    row = next((p for p in chunk.parts if p.kind == "row" and p.start < hi and lo < p.end), None)
    header = next((p for p in chunk.parts if p.kind == "header"), None)
    if row is None or header is None:
        return None
    cells = [" ".join(chunk.span_text(s, e).split()) for s, e in row.cells]
    names = [" ".join(chunk.span_text(s, e).split()) for s, e in header.cells]
    if len(cells) < 2 or len(names) != len(cells):
        return None
    said = "; ".join(f"{name}: {cell.rstrip('.;')}" for name, cell
                     in zip(names[1:], cells[1:], strict=True) if cell.rstrip(".;"))
    return f"{cells[0]} — {said}" if said else None
