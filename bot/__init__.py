"""citebot's core: settings, types, store, retrieval, cited answers, backends, evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.answering.prompt import NO_ANSWER
from bot.schema import Answer, Chunk, Citation, Document, Passage, Sentence

if TYPE_CHECKING:
    from bot.api import Bot

__all__ = ["NO_ANSWER", "Answer", "Bot", "Chunk", "Citation", "Document", "Passage", "Sentence"]


def __getattr__(name: str) -> Any:
    # Bot pulls in the store and backends; keep `import bot` light for `citebot --help`.
    if name == "Bot":
        from bot.api import Bot

        return Bot
    raise AttributeError(name)
