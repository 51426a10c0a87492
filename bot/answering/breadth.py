"""Answers for breadth questions: the plan for the question's shape gathers the evidence and
builds the structure; the structure streams at once, and the model adds a short checked
paragraph written from the plan's best passages.

The structure needs no model, so it is the first content a reader sees (well under a second
after retrieval); the model's paragraph follows only once the support check has passed it,
so what was streamed is exactly what the final answer holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.answering.blocks import Numbering, cell_sentences, markdown, numbered_blocks, paragraph
from bot.answering.check import CitedAnswer, cite, lexical_support
from bot.answering.evidence import select_evidence
from bot.answering.fact import answer_fact, declined, timed_stream
from bot.answering.prompt import build_messages
from bot.answering.request import AnswerRequest
from bot.answering.result import AnswerBuilder
from bot.answering.shape import Shape
from bot.answering.stream import Events
from bot.backends.base import Embed, GenerationRequest, Generator
from bot.backends.embedders import memo
from bot.errors import GenerationError
from bot.plans import Corpus, Draft
from bot.plans.comparison import plan_comparison
from bot.plans.crossdoc import plan_cross_document
from bot.plans.draft import LEAD_PASSAGES
from bot.plans.listing import plan_list
from bot.plans.summary import plan_summary
from bot.schema import Block, Citation, Passage, Sentence

log = logging.getLogger(__name__)
BREADTH_K = 12
"""Passages retrieved for a breadth question: its plan follows them to whole lists, tables
and documents, and a cross-document answer needs more than one article's best chunks."""
MIN_WORDS = 6
REPEAT = 0.8
CLOSING_TOKENS = 64
CLOSING_STOP = ("\n",)
"""The model's paragraph under a structure is a sentence or two on one line: longer drafts
were lists the structure already holds ('1. DALL-E', '2. Midjourney', ...), each line
dropped as a repeat or unsupported, at ~70 ms a token on 2 cores (up to 100 tokens, 7 s, for
nothing shown)."""


def plan(shape: Shape, question: str, passages: Sequence[Passage], corpus: Corpus,
         embed: Embed) -> Draft | None:
    """The draft for ``shape``, or None when the sources hold no structure for it (the
    question is then answered as a fact). A summary no document is named for becomes what
    each source says."""
    if shape.kind == "list":
        return plan_list(question, passages, corpus)
    if shape.kind == "comparison":
        return (plan_comparison(question, shape.entities, passages, corpus)
                or plan_cross_document(question, passages, corpus, embed))
    if shape.kind == "summary":
        return (plan_summary(question, passages, corpus)
                or plan_cross_document(question, passages, corpus, embed))
    if shape.kind == "cross_document":
        return plan_cross_document(question, passages, corpus, embed)
    return None


def answer_breadth(request: AnswerRequest, draft: Draft, generator: Generator, embed: Embed,
                   builder: AnswerBuilder) -> Events:
    """Yield the structure (Markdown) at once, then the checked paragraph; return the Answer."""
    cached = memo(embed)
    numbering = Numbering()
    blocks = numbered_blocks(draft, numbering)
    if not blocks:  # every piece failed its check: nothing structured to show
        return (yield from answer_fact(request, generator, embed, builder))
    head = markdown(draft.intro, blocks)
    builder.mark("first_content")
    yield head
    lead = _unshown(request.passages, draft, numbering) or draft.lead_passages
    closing, error = _closing(request, lead, generator, cached, builder)
    sentences = (_new_statements(numbering.renumber(closing), blocks, numbering.citations)
                 if closing else ())
    text = head
    if sentences:
        block = paragraph(sentences)
        blocks = (*blocks, block)
        tail = markdown("", (block,))
        text = f"{head}\n\n{tail}"
        yield f"\n\n{tail}"
    return builder.build(
        text, numbering.citations, _cited_first(draft.passages, numbering, draft.shape),
        sentences=(*cell_sentences(blocks), *sentences),
        dropped=closing.dropped if closing else (), complete=not error, error=error,
        shape=draft.shape, blocks=blocks)


def _cited_first(passages: Sequence[Passage], numbering: Numbering, shape: str
                 ) -> tuple[Passage, ...]:
    """The passages the answer stands on, then the rest of what was gathered: for a breadth
    answer the plan, not the first retrieval, found its evidence. A summary's come in the
    order it cites them (its outline, the document's order); any other's, those retrieval
    ranked first, closest to the question first, then those the plan added."""
    by_id = {p.chunk.chunk_id: p for p in passages}
    cited = [by_id.get(c.chunk_id, Passage(c, 0.0)) for c in numbering.chunks()]
    if shape != "summary":
        rank = {p.chunk.chunk_id: k for k, p in enumerate(passages) if p.score > 0}
        cited.sort(key=lambda p: rank.get(p.chunk.chunk_id, len(rank)))
    used = {p.chunk.chunk_id for p in cited}
    return (*cited, *(p for p in passages if p.chunk.chunk_id not in used))


def _new_statements(sentences: Sequence[Sentence], blocks: Sequence[Block],
                    citations: Sequence[Citation]) -> tuple[Sentence, ...]:
    """The closing sentences that add to the structure: not a heading or table row read out,
    nor a repeat of a piece the structure already shows."""
    shown = [c.text for b in blocks for c in b.cells()]
    headings = {h.casefold() for c in citations for h in c.heading_path}
    return tuple(s for s in sentences if " | " not in s.text and not s.text.endswith(":")
                 and s.text.casefold().rstrip(".") not in headings
                 and not s.text.startswith("#") and len(s.text.split()) >= MIN_WORDS
                 and not any(lexical_support(s.text, t) >= REPEAT for t in shown))


def _unshown(retrieved: Sequence[Passage], draft: Draft, numbering: Numbering
             ) -> tuple[Passage, ...]:
    """The best passages the structure quotes nothing from (LEAD_PASSAGES of them): the
    model's sentences add what the table or list does not show; over the structure's own
    passages they only said it again, and were dropped as repeats. A summary's come from
    the summarised document alone."""
    shown = {c.chunk_id for c in numbering.chunks()}
    docs = {c.doc_id for c in numbering.chunks()}
    fresh = {p.chunk.chunk_id: p for p in (*retrieved, *draft.passages)
             if p.chunk.chunk_id not in shown and (draft.shape != "summary" or p.doc_id in docs)}
    return tuple(fresh.values())[:LEAD_PASSAGES]


def _closing(request: AnswerRequest, lead: Sequence[Passage], generator: Generator,
             embed: Embed, builder: AnswerBuilder) -> tuple[CitedAnswer | None, str]:
    """The model's short answer over ``lead``, checked; None when it declined or wrote
    nothing the passages support."""
    if not lead:
        return None, ""
    evidence = select_evidence(request.query_used, lead, embed)
    gen = GenerationRequest(build_messages(request.question, evidence, request.topic),
                            request.question,
                            evidence, request.temperature,
                            min(request.max_tokens, CLOSING_TOKENS), stop=CLOSING_STOP)
    text, error = "", ""
    try:
        text = "".join(timed_stream(generator, gen, builder))
    except GenerationError as exc:
        error = str(exc)
        log.warning("the closing paragraph failed: %s", exc)
    builder.done("generate")
    if not text.strip() or declined(text):
        return None, error
    checked = cite(text, evidence, embed)
    return (checked if checked.sentences else None), error
