"""What an answer is asked for: the options a caller gives, the question resolved against
the settings, and the request the composing stages work from once retrieval has run."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from bot.backends.base import Generator
from bot.errors import InputError
from bot.schema import Passage, Turn


@dataclass(frozen=True)
class AskOptions:
    """How one question is answered; None takes the setting of the same name.

    ``cache``: serve an identical earlier question's answer (setting ``answer_cache``).
    ``fallback_after_s``: a wait for the model expected to be longer gets the quick
    extractive answer at once (``Answer.fallback``); None waits however long it takes."""

    model: str | None = None
    top_k: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    cache: bool | None = None
    fallback_after_s: float | None = None

    @classmethod
    def of(cls, options: AskOptions | None = None, **overrides: Any) -> AskOptions:
        """``options`` with keyword ``overrides`` on top (the Python API's shorthand:
        ``bot.ask(q, model="extractive")``); an unknown keyword is an InputError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError(f"unknown answer option(s) {', '.join(map(repr, unknown))}: "
                             f"use {', '.join(sorted(known))}")
        base = options or cls()
        given = {k: v for k, v in overrides.items() if v is not None}
        return cls(**{**base.__dict__, **given}) if given else base


@dataclass(frozen=True)
class Ask:
    """One question with everything that decides its answer, settings applied."""

    question: str
    turns: tuple[Turn, ...]
    generator: Generator
    top_k: int
    temperature: float
    max_tokens: int
    use_cache: bool = False
    fallback_after_s: float | None = None


@dataclass(frozen=True)
class AnswerRequest:
    """One question, ready to answer: its evidence found and judged."""

    question: str
    query_used: str
    passages: tuple[Passage, ...]
    temperature: float
    max_tokens: int
    model: str
    topic: str = ""
    """What the model is told the questions are about (the ``topic`` setting or the corpus's
    titles); empty: 'the documents in the library'."""
    absent: tuple[str, ...] = ()
    """Names the question uses that no document does (``bot.absent``): the sources don't
    cover it, however close the passages retrieved."""
    abstain: str = ""
    """Why the sources don't answer the question (weak evidence, an absent name), decided
    once by the pipeline before the model is asked; empty: answer it."""
