"""A question as citebot takes it: cleaned of what must not reach a model or a terminal,
checked for what cannot be answered, with its conversation in one shape."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.errors import InputError
from bot.schema import Turn

HistoryItem = Turn | Mapping[str, str] | tuple[str, str] | str
# Terminal escape sequences go whole (a bare ESC would leave "[31m" in the query); then
# C0/C1 controls, unpaired surrogates (undecodable bytes from argv or JSON; tokenizers reject
# them) and bidi overrides (they reorder what the reader sees) become spaces.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_ONLY_MARKERS = re.compile(r"^[\s\[\]\d,;.!?]*$")



def checked_question(question: str, limit: int) -> str:
    """The question cleaned of control characters, or an InputError that says why not."""
    if not isinstance(question, str):
        raise InputError(f"the question must be text, not {type(question).__name__}")
    cleaned = clean_question(question)
    if not cleaned:
        raise InputError("the question is empty: type a question about the documents")
    if len(cleaned) > limit:
        raise InputError(f"the question is {len(cleaned):,} characters long; the limit is "
                         f"{limit:,}: shorten it, or raise the limit with the setting "
                         "max_question_chars (env CITEBOT_MAX_QUESTION_CHARS)")
    if _ONLY_MARKERS.match(cleaned):
        shown = cleaned if len(cleaned) <= 40 else cleaned[:40] + "…"
        what = "only citation markers" if "[" in cleaned else "no words"
        raise InputError(f"'{shown}' is not a question ({what}): ask in words, e.g. "
                         "'What does the guide say about backups?'")
    return cleaned


def clean_question(question: str) -> str:
    """``question`` without escape sequences and control characters, trimmed."""
    return _CONTROL.sub(" ", _ESCAPE_SEQUENCE.sub(" ", question)).strip()


def normalise_history(history: Sequence[HistoryItem]) -> list[Turn]:
    """Accept Turns, {"role", "content"} dicts, (role, content) pairs or plain user strings."""
    turns = []
    for item in history:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, str):
            turns.append(Turn("user", item))
        elif isinstance(item, Mapping):
            turns.append(Turn(str(item.get("role", "user")), str(item.get("content", ""))))
        else:
            role, content = item
            turns.append(Turn(str(role), str(content)))
    return turns
