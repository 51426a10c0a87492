"""A fact answer: evidence, the model's draft, the support check, or the abstention.

Abstention is decided before the model is asked (weak evidence, a name no document uses;
see the pipeline): the model is then not asked at all. A draft whose sentences the sources
don't support becomes the no-answer sentence plus what the sources do cover nearby.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence

from bot.absent import absent_sentence
from bot.answering.check import CitedAnswer, cite
from bot.answering.evidence import evidence_units, select_evidence
from bot.answering.prompt import NEARBY_INTRO, NO_ANSWER, build_messages
from bot.answering.request import AnswerRequest
from bot.answering.result import AnswerBuilder
from bot.answering.stream import Events
from bot.backends.base import Embed, Evidence, GenerationRequest, Generator, Usage
from bot.backends.embedders import memo
from bot.errors import GenerationError
from bot.schema import Answer, Citation, Passage
from bot.text import Span

log = logging.getLogger(__name__)

_NO_ANSWER_PATTERNS = re.compile(
    r"sources? (do(es)?n'?t|do(es)? not) (cover|contain|state|mention|provide|say)|"
    r"(not|no) (mentioned|stated|covered|information) (in|by) the sources|"
    r"cannot be answered from the sources|no_answer", re.IGNORECASE)

def answer_fact(request: AnswerRequest, generator: Generator, embed: Embed,
                builder: AnswerBuilder) -> Events:
    """Stream the answer's text pieces; return the checked :class:`Answer`."""
    cached = memo(embed)
    evidence = select_evidence(request.query_used, request.passages, cached)
    if request.abstain:
        return abstention(request, evidence, builder, reason=request.abstain)
    gen_request = GenerationRequest(build_messages(request.question, evidence, request.topic),
                                    request.question,
                                    evidence, request.temperature, request.max_tokens)
    draft, error = "", ""
    try:
        for piece in timed_stream(generator, gen_request, builder):
            builder.mark("first_content")
            draft += piece
            yield piece
    except GenerationError as exc:
        error = str(exc)
    builder.done("generate")
    return _checked(request, evidence, draft, error, cached, builder)


def timed_stream(generator: Generator, request: GenerationRequest, builder: AnswerBuilder
                 ) -> Iterator[str]:
    """The generator's text pieces, noting when the first one came (``first_token``) and
    what the generation cost when the backend says."""
    for piece in generator.stream(request):
        if isinstance(piece, Usage):
            builder.usage(piece)
            continue
        builder.mark("first_token")
        yield piece


def _checked(request: AnswerRequest, evidence: tuple[Evidence, ...], draft: str, error: str,
             embed: Embed, builder: AnswerBuilder) -> Answer:
    """The draft's supported sentences, or the abstention when it has none."""
    if error and not draft.strip():
        return builder.build("", (), _passages(evidence), complete=False, error=error)
    if declined(draft) and not error:
        return abstention(request, evidence, builder, reason="model declined")
    checked: CitedAnswer = cite(draft, evidence, embed)
    if not checked.sentences:
        return abstention(request, evidence, builder, reason="no supported sentence",
                          error=error, dropped=checked.dropped)
    return builder.build(checked.text, checked.citations, _passages(evidence),
                         sentences=checked.sentences, dropped=checked.dropped,
                         complete=not error, error=error)


def declined(draft: str) -> bool:
    """The model said the sources don't answer the question."""
    return bool(_NO_ANSWER_PATTERNS.search(draft))


def abstention(request: AnswerRequest, evidence: Sequence[Evidence], builder: AnswerBuilder,
               *, reason: str, error: str = "", dropped: Sequence[str] = ()) -> Answer:
    """The no-answer sentence, then what the nearest passages do say, cited."""
    log.info("abstaining on %r: %s", request.question, reason)
    # best_sentence is never an injected instruction (see evidence_units); "" means nothing
    # else was left in the passage, and there is nothing to quote.
    quotable = [e for e in evidence if e.best_sentence]
    nearby = sorted(quotable, key=lambda e: -e.relevance)[:2]
    citations = tuple(_whole_sentence_citation(e) for e in sorted(nearby, key=lambda e: e.number))
    text = NO_ANSWER
    if request.absent:
        text += f" {absent_sentence(request.absent)}"
    if citations:
        text += f" {NEARBY_INTRO} " + " ".join(f"{_shorten(c.quote)} [{c.number}]"
                                                 for c in citations)
    return builder.build(text, citations, _passages(evidence), abstained=True,
                         dropped=dropped, complete=not error, error=error)


def _whole_sentence_citation(ev: Evidence) -> Citation:
    chunk = ev.passage.chunk
    span = next((s for s in evidence_units(ev.passage) if s.text == ev.best_sentence),
                Span(chunk.text, 0, len(chunk.text)))
    return Citation.from_span(ev.number, chunk, chunk.start + span.start, chunk.start + span.end)


def _shorten(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + "…"


def _passages(evidence: Sequence[Evidence]) -> tuple[Passage, ...]:
    return tuple(e.passage for e in evidence)
