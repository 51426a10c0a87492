"""No language model at all: the answer is the most relevant sentences of the top passages,
each cited. Faithful by construction and fast; the right choice on very small machines."""

from __future__ import annotations

from collections.abc import Iterator

from bot.answering.prompt import NO_ANSWER
from bot.backends.base import Availability, GenerationRequest, Generator
from bot.text import LIST_BULLET, answers_the_kind

MIN_RELEVANCE = 0.45
MAX_SENTENCES = 3


class ExtractiveGenerator(Generator):
    """Quotes the best sentence of each of the most relevant passages, best first."""

    name = "extractive"

    def check(self) -> Availability:
        return Availability(True, "always available (no model)")

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        ranked = sorted(request.evidence, key=lambda e: -e.relevance)
        chosen, seen = [], set()
        for ev in ranked:
            sentence = ev.best_sentence.strip()
            if (ev.relevance < MIN_RELEVANCE or not sentence or sentence in seen
                    or not answers_the_kind(request.question, sentence)):
                continue
            seen.add(sentence)
            chosen.append(f"{LIST_BULLET.sub('', sentence).rstrip('.')} [{ev.number}].")
            if len(chosen) == MAX_SENTENCES:
                break
        if not chosen:
            yield NO_ANSWER
            return
        for i, sentence in enumerate(chosen):
            yield sentence if i == 0 else " " + sentence
