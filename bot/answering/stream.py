"""An answer as it is made, in the manner of simonw/llm's ``Response``: iterate it for the
text pieces (and :class:`Waiting` events while the question waits for the model), then call
:meth:`AnswerStream.answer` for the checked :class:`Answer`.

    stream = bot.stream("What is RLHF?")
    for piece in stream.text():
        print(piece, end="")
    answer = stream.answer()

The checked Answer's text may differ from what streamed when an unsupported sentence was
dropped or the bot abstained. A reader that gives up on an answer closes its stream (which
frees the answer's place in the cache and in the model's line) with :meth:`close` or a
``with`` block; one that stops reading early may still call :meth:`answer`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from types import TracebackType

from bot.errors import CitebotError
from bot.queue import Waiting
from bot.schema import Answer

Event = str | Waiting
"""What a stream yields: a piece of the answer's text, or where the question stands in line."""
Events = Generator[Event, None, Answer]
"""The pipeline's stages: they yield events and return the Answer they built."""


class AnswerStream:
    """One question's answer, streamed once."""

    def __init__(self, events: Events) -> None:
        self._events = events
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[Event]:
        # next() by hand, not ``yield from``: a loop that breaks early must leave the answer
        # readable with answer(), not close it when its iterator is collected.
        while self._answer is None:
            try:
                event = next(self._events)
            except StopIteration as done:
                self._answer = done.value
                return
            yield event

    def text(self) -> Iterator[str]:
        """The answer's text pieces only."""
        return (event for event in self if isinstance(event, str))

    def answer(self) -> Answer:
        """The checked Answer, reading whatever has not been read yet. Read to its end (or
        failed on the way) the answer's stages have finished, so nothing is left holding a
        place in the cache or the model's line."""
        for _ in self:
            pass
        if self._answer is None:
            raise CitebotError("the answer's stream was closed before its answer was made; "
                               "read it to the end (or call answer()) before closing it")
        return self._answer

    def close(self) -> None:
        """Stop making the answer: its cache flight and place in the model's line end now."""
        self._events.close()

    def __enter__(self) -> AnswerStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
