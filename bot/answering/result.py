"""The one place an :class:`Answer` is built: an :class:`AnswerBuilder` gathers the timings,
token counts and labels as the answer is made, and ``build`` makes the Answer once."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answering.request import AnswerRequest
from bot.backends.base import Usage
from bot.schema import Answer, Block, Citation, Passage, Sentence, ShapeKind


@dataclass
class AnswerBuilder:
    """What is known of one answer while it is being made.

    Timings are seconds since composing began (``started``), plus ``before_s``, the time the
    pipeline spent before it (retrieval and planning), which is also kept as ``retrieval``.
    Time waiting in the model's line counts in neither."""

    request: AnswerRequest
    before_s: float = 0.0
    fallback: str = ""
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        """Note when ``name`` first happened (``first_token``, ``first_content``); once."""
        self.timings.setdefault(name, time.perf_counter() - self.started)

    def done(self, name: str) -> None:
        """Note when the stage ``name`` ended (``generate``); a later end replaces it."""
        self.timings[name] = time.perf_counter() - self.started

    def usage(self, usage: Usage) -> None:
        self.tokens.update(usage.as_dict())

    def build(self, text: str, citations: Sequence[Citation], passages: Sequence[Passage], *,
              abstained: bool = False, sentences: Sequence[Sentence] = (),
              dropped: Sequence[str] = (), complete: bool = True, error: str = "",
              shape: ShapeKind = "fact", blocks: Sequence[Block] = ()) -> Answer:
        self.done("total")
        offset = self.before_s
        timings = {"retrieval": offset, **{k: v + offset for k, v in self.timings.items()}}
        request = self.request
        return Answer(text=text, citations=tuple(citations), passages=tuple(passages),
                      abstained=abstained, query_used=request.query_used,
                      question=request.question, sentences=tuple(sentences),
                      dropped=tuple(dropped), timings=timings, model=request.model,
                      complete=complete, error=error, shape=shape, blocks=tuple(blocks),
                      fallback=self.fallback, tokens=dict(self.tokens))
