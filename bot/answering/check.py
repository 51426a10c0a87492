"""Citations: parse ``[n]`` markers, resolve them to passages, and check each sentence's support.

One parser serves the answer pipeline, the UI and the evaluation. A sentence is
*supported* when a passage it cites states it: its content words and every number
it contains are found there, or its meaning is close to a sentence there. An
unsupported sentence is re-cited to a passage that supports it, or dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.backends.base import Embed, Evidence
from bot.instructions import quotable_spans
from bot.schema import Citation, Sentence
from bot.text import LIST_BULLET, Span, content_words, cosine, sentences, unsourced_claims

MARKER = re.compile(r"\s*\[(?:source\s*|passage\s*)?(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]",
                    re.IGNORECASE)
MAX_SENTENCES = 4
"""Small models ramble and repeat; an answer keeps its first few distinct supported sentences."""
REPEAT_OVERLAP = 0.8
LEXICAL_SUPPORT = 0.6
SEMANTIC_SUPPORT = 0.72
BLENDED_SUPPORT = (0.4, 0.55)

@dataclass(frozen=True)
class ParsedSentence:
    """An answer sentence without its markers, and the numbers those markers named."""

    text: str
    numbers: tuple[int, ...]


@dataclass(frozen=True)
class Support:
    """How well one passage supports one sentence, and the best quote for it."""

    number: int
    score: float
    supported: bool
    quote: Span


@dataclass(frozen=True)
class CitedAnswer:
    """The checked answer: kept sentences, their citations, and what was dropped."""

    text: str
    sentences: tuple[Sentence, ...]
    citations: tuple[Citation, ...]
    dropped: tuple[str, ...]


def parse_markers(text: str) -> list[ParsedSentence]:
    """Split answer text into sentences with the ``[n]`` numbers each carries.

    Never raises. Markers standing alone after a sentence's full stop belong to
    that sentence; markers before any text are ignored.
    """
    parsed: list[ParsedSentence] = []
    for span in sentences(text):
        nums = tuple(int(n) for m in MARKER.finditer(span.text)
                     for n in re.split(r"\s*[,;]\s*", m.group(1)))
        plain = " ".join(MARKER.sub("", span.text).split())
        plain = re.sub(r"\s+([.,;:!?])", r"\1", plain)
        plain = LIST_BULLET.sub("", plain)  # a quoted list item is a sentence, not a list
        if not re.search(r"\w", plain):
            if parsed and nums:
                last = parsed[-1]
                parsed[-1] = ParsedSentence(last.text, _unique(last.numbers + nums))
            continue
        parsed.append(ParsedSentence(plain, _unique(nums)))
    return parsed


def _unique(nums: Sequence[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(nums))


def cite(answer_text: str, evidence: Sequence[Evidence], embed: Embed) -> CitedAnswer:
    """Resolve markers to evidence, verify support, re-cite or drop unsupported sentences."""
    parsed = parse_markers(answer_text)
    if not parsed or not evidence:
        return CitedAnswer("", (), (), tuple(p.text for p in parsed))
    matrix = SupportMatrix(parsed, evidence, embed)
    kept: list[Sentence] = []
    dropped: list[str] = []
    best_quote: dict[int, Support] = {}
    for i, sentence in enumerate(parsed):
        supports = matrix.supporting(i, sentence.numbers)
        if not supports or len(kept) == MAX_SENTENCES or _repeats(sentence.text, kept):
            dropped.append(sentence.text)
            continue
        kept.append(Sentence(sentence.text, tuple(s.number for s in supports), True,
                             round(max(s.score for s in supports), 3)))
        for s in supports:
            if s.number not in best_quote or s.score > best_quote[s.number].score:
                best_quote[s.number] = s
    citations = tuple(_citation(evidence, best_quote[n]) for n in sorted(best_quote))
    return CitedAnswer(render(kept), tuple(kept), citations, tuple(dropped))


def _repeats(text: str, kept: Sequence[Sentence]) -> bool:
    """Says again what an earlier sentence said (most of its words are in one of them)."""
    return any(lexical_support(text, k.text) >= REPEAT_OVERLAP for k in kept)


def render(kept: Sequence[Sentence]) -> str:
    """Answer text with each sentence followed by its markers."""
    return " ".join(cited_sentence(s.text, s.citations) for s in kept)


def markers(numbers: Sequence[int]) -> str:
    """``[1][3]``: the one way citation numbers are written (MARKER reads them back)."""
    return "".join(f"[{n}]" for n in numbers)


def cited_sentence(text: str, numbers: Sequence[int]) -> str:
    """A sentence with its markers before its final stop: 'LLMs use RLHF [2].'"""
    body = text.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else "."
    body = body.rstrip(".!?")
    return f"{body} {markers(numbers)}{end}" if numbers else f"{body}{end}"


def _citation(evidence: Sequence[Evidence], support: Support) -> Citation:
    ev = next(e for e in evidence if e.number == support.number)
    chunk = ev.passage.chunk
    return Citation.from_span(support.number, chunk, chunk.start + support.quote.start,
                              chunk.start + support.quote.end)


class SupportMatrix:
    """Support of every answer sentence by every evidence passage, computed in one batch."""

    def __init__(self, parsed: Sequence[ParsedSentence], evidence: Sequence[Evidence],
                 embed: Embed) -> None:
        self.parsed = list(parsed)
        self.evidence = list(evidence)
        self.units = [_units(e) for e in self.evidence]
        flat = [u.text for units in self.units for u in units]
        vectors = embed([p.text for p in self.parsed] + flat)
        self.sentence_vectors = vectors[:len(self.parsed)]
        rest = vectors[len(self.parsed):]
        self.unit_vectors: list[list[list[float]]] = []
        for units in self.units:
            self.unit_vectors.append(rest[:len(units)])
            rest = rest[len(units):]

    def support(self, i: int, e: int) -> Support:
        sentence = self.parsed[i].text
        ev = self.evidence[e]
        passage_text = "\n".join((ev.passage.chunk.title, ev.passage.chunk.prefix,
                                  *(u.text for u in self.units[e])))
        lexical = lexical_support(sentence, passage_text)
        cosines = [cosine(self.sentence_vectors[i], v) for v in self.unit_vectors[e]]
        semantic = max(cosines, default=0.0)
        # A figure, name or ranking word the passage lacks is a claim it does not make: topic
        # words (generative, AI, model) alone must not carry "DALL-E is the first ..." through.
        # The source's own name (its id: "REVE Chat says ...") is not a claim about its text.
        sourced = not unsourced_claims(sentence, f"{ev.passage.chunk.doc_id}\n{passage_text}")
        supported = sourced and is_supported(lexical, semantic)
        best = max(range(len(cosines)), key=lambda j: cosines[j] + lexical_support(
            sentence, self.units[e][j].text)) if cosines else None
        quote = self.units[e][best] if best is not None else Span(ev.passage.chunk.text, 0,
                                                                   len(ev.passage.chunk.text))
        return Support(ev.number, round(max(lexical, semantic), 3), supported, quote)

    def supporting(self, i: int, cited: Sequence[int]) -> list[Support]:
        """Cited passages that support sentence i; failing those, the best other one."""
        index = {ev.number: k for k, ev in enumerate(self.evidence)}
        own = [self.support(i, index[n]) for n in cited if n in index]
        good = [s for s in own if s.supported]
        if good:
            return good
        others = [self.support(i, k) for k in range(len(self.evidence))
                  if self.evidence[k].number not in cited]
        best = max((s for s in others if s.supported), key=lambda s: s.score, default=None)
        return [best] if best else []


def is_supported(lexical: float, semantic: float) -> bool:
    low_lex, low_sem = BLENDED_SUPPORT
    return (lexical >= LEXICAL_SUPPORT or semantic >= SEMANTIC_SUPPORT
            or (lexical >= low_lex and semantic >= low_sem))


def lexical_support(sentence: str, passage: str) -> float:
    """Share of the sentence's content words (stemmed) that occur in the passage."""
    claim = set(content_words(sentence, stem=True, question=True))  # a claim's or query's words
    if not claim:
        return 0.0
    return len(claim & set(content_words(passage, stem=True))) / len(claim)


def _units(ev: Evidence) -> list[Span]:
    return quotable_spans(ev.passage.chunk.text)
