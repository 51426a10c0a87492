"""The contracts every model backend implements, and the request they receive.

A generator streams text pieces for one :class:`GenerationRequest`; ``generate``
is the joined stream. Heavy imports happen inside backends, never at module import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.schema import Passage

Embed = Callable[[Sequence[str]], list[list[float]]]
"""Texts to vectors: an embedder's ``embed_documents``, or a memo of it."""


@dataclass(frozen=True)
class Message:
    """One chat message sent to a model: role is ``system``, ``user`` or ``assistant``."""

    role: str
    content: str


@dataclass(frozen=True)
class Evidence:
    """A numbered passage as the model sees it: ``excerpt`` is the part of the passage
    that matters for the question (a few sentences), not necessarily all of it;
    ``best_sentence`` is its single most relevant sentence, scored ``relevance``."""

    number: int
    passage: Passage
    excerpt: str
    best_sentence: str = ""
    relevance: float = 0.0


@dataclass(frozen=True)
class GenerationRequest:
    """What a generator gets: the prompt messages, plus the raw question and evidence
    for backends (like ``extractive``) that compose without a language model."""

    messages: tuple[Message, ...]
    question: str
    evidence: tuple[Evidence, ...]
    temperature: float = 0.1
    max_tokens: int = 256
    stop: tuple[str, ...] = ()  # generation ends before any of these


@dataclass(frozen=True)
class Usage:
    """What one generation cost in tokens, as the server counted it: ``prompt`` tokens read
    (``cached`` of them reused from the server's prompt cache rather than computed again)
    and ``generated`` tokens written. Backends that know yield it after the text."""

    prompt: int
    cached: int
    generated: int

    def as_dict(self) -> dict[str, int]:
        return {"prompt": self.prompt, "prompt_new": self.prompt - self.cached,
                "prompt_cached": self.cached, "generated": self.generated}


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here, and if not, what to do about it."""

    ready: bool
    detail: str


@runtime_checkable
class Generator(Protocol):
    """A text generator. Implement ``name``, ``stream`` and ``check``; subclass this to get
    the defaults for the rest.

    ``concurrency`` is how many answers it makes at once, questions beyond it waiting in the
    Bot's line; None (the default) takes any number at once."""

    name: str
    concurrency: int | None = None

    def stream(self, request: GenerationRequest) -> Iterator[str | Usage]:
        """Yield pieces of the answer text as they are produced (and, when the backend
        knows it, one :class:`Usage` at the end)."""
        ...

    def check(self) -> Availability:
        """Say cheaply whether this backend can answer, without loading a model."""
        ...

    def warm_up(self) -> None:
        """Load what the first answer would wait for (a model, a server); default: nothing."""
        return None

    def close(self) -> None:
        """Free what the backend holds (a server process, a loaded model); default: nothing."""
        return None


@runtime_checkable
class Embedder(Protocol):
    """Turns text into unit-length vectors. ``model_id`` names the exact weights."""

    model_id: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def generate(generator: Generator, request: GenerationRequest) -> str:
    """The non-streaming call: the joined stream."""
    return "".join(p for p in generator.stream(request) if isinstance(p, str))
