"""The OpenAI chat-completions wire format, in and out, for citebot's Answer.

In: a request body becomes a :class:`ChatCall` (question, history, backend, options) or an
InputError / unknown-model error. Out: an Answer becomes a ``chat.completion`` or a series of
``chat.completion.chunk`` dicts. The extension field ``citebot`` (see docs/api.md, "Use it from
other tools") carries the structured answer; it is built generically from the Answer, so
fields added to the Answer travel without this module changing.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.answering.stream import AnswerStream
from bot.api import Bot
from bot.errors import GenerationError, InputError
from bot.question import clean_question
from bot.schema import Answer, Turn

EXTENSION = "citebot"
EXTENSION_VERSION = 1
DRAFT_FIELD = "citebot_draft"
DEFAULT_MODEL = "citebot"
ROLES = ("system", "developer", "user", "assistant")
MAX_MESSAGES = 100
MAX_ASSISTANT_CHARS = 50_000
MIN_TOKENS, MAX_TOKENS = 16, 4096
_SENTENCE_END = re.compile(r"(?<=[.!?] )|(?<=\n)")
_LINE_END = re.compile(r"(?<=\n)")


class UnknownModel(LookupError):
    """The request names a model that is not in :func:`model_names`."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class _StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class _Request(BaseModel):
    # Unknown OpenAI parameters (stop, seed, tools, ...) are accepted and ignored.
    model_config = ConfigDict(extra="allow")
    model: str = DEFAULT_MODEL
    messages: list[_Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: _StreamOptions | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, ge=0.0, le=1.0)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    n: int = Field(1, ge=1, le=1)


@dataclass(frozen=True)
class ChatCall:
    """One validated request: what to ask, with which history, of which backend."""

    model: str
    backend: str
    question: str
    history: tuple[Turn, ...]
    stream: bool
    temperature: float | None
    max_tokens: int | None
    include_usage: bool = False  # stream_options.include_usage: a last chunk with `usage`


def model_names(bot: Bot) -> dict[str, str]:
    """API model name -> backend: ``citebot`` is the configured default, ``citebot-<name>``
    each registered backend."""
    from bot.backends.registry import backends

    names = {DEFAULT_MODEL: bot.settings.model}
    names.update({f"{DEFAULT_MODEL}-{info.name}": info.name for info in backends()})
    return names


def parse_call(bot: Bot, body: Any) -> ChatCall:
    """Validate a request body the way the chat validates a question.

    Raises:
        InputError: the body is malformed, a role is unknown, there is no user question, or
            a message is empty or too long.
        UnknownModel: ``model`` is not one :func:`model_names` lists.
    """
    try:
        request = _Request.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InputError(f"'{where}': {first['msg']}") from None
    backend = model_names(bot).get(request.model)
    if backend is None:
        raise UnknownModel(request.model)
    question, history = _conversation(bot, request.messages)
    tokens = request.max_completion_tokens or request.max_tokens
    return ChatCall(model=request.model, backend=backend, question=question,
                    history=history, stream=request.stream, temperature=request.temperature,
                    max_tokens=None if tokens is None else min(max(tokens, MIN_TOKENS),
                                                               MAX_TOKENS),
                    include_usage=bool(request.stream_options
                                       and request.stream_options.include_usage))


def _conversation(bot: Bot, messages: Sequence[_Message]) -> tuple[str, tuple[Turn, ...]]:
    """The last message is the question (a user's); earlier user and assistant messages are
    the history that follow-up rewriting reads. System messages are ignored: the bot's own
    instructions are fixed, so a client cannot steer it through them."""
    turns = []
    for index, message in enumerate(messages):
        if message.role not in ROLES:
            raise InputError(f"messages[{index}].role '{message.role}' is not supported; use "
                             "one of: " + ", ".join(ROLES))
        text = _text(message, index)
        if message.role == "user":
            turns.append(Turn("user", _checked(bot, text, index)))
        elif message.role == "assistant":
            if len(text) > MAX_ASSISTANT_CHARS:
                raise InputError(f"messages[{index}] is {len(text):,} characters long; an "
                                 f"assistant message may hold at most {MAX_ASSISTANT_CHARS:,}")
            turns.append(Turn("assistant", clean_question(text)))
    if not any(t.role == "user" for t in turns):
        raise InputError("no user message: send the question as a message with role 'user'")
    if messages[-1].role != "user":
        raise InputError("the last message must be the user's question (role 'user'), not "
                         f"'{messages[-1].role}'")
    return turns[-1].content, tuple(turns[:-1])


def _text(message: _Message, index: int) -> str:
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    parts = []
    for part in message.content:
        if part.get("type") != "text":
            raise InputError(f"messages[{index}] holds a '{part.get('type')}' part; citebot "
                             "reads text only")
        text = part.get("text", "")
        if not isinstance(text, str):
            raise InputError(f"messages[{index}] holds a text part whose 'text' is "
                             f"{type(text).__name__} {json.dumps(text)[:80]}, not a string: "
                             "send the question as a JSON string")
        parts.append(text)
    return "\n".join(parts)


def _checked(bot: Bot, text: str, index: int) -> str:
    try:
        return bot.check_question(text)
    except InputError as exc:
        raise InputError(f"messages[{index}]: {exc}") from None


# -- out ------------------------------------------------------------------------------------
def failed(answer: Answer) -> Answer:
    """The answer, unless the model failed before writing anything: then a GenerationError
    (an empty reply would read as if citebot had nothing to say)."""
    if answer.error and not answer.text:
        raise GenerationError(answer.error)
    return answer


def extension(answer: Answer) -> dict[str, Any]:
    """The structured answer for the ``citebot`` field: every Answer field but the bulky
    passages, citations without their passage text, plus ``verified`` and a version."""
    data = dataclasses.asdict(answer)
    data.pop("passages", None)
    data["citations"] = [{k: v for k, v in c.items() if k != "passage_text"}
                         for c in data.get("citations", ())]
    data["verified"] = answer.verified
    data["version"] = EXTENSION_VERSION
    # Round-trip through JSON so tuples, mappings and anything new become plain JSON values.
    result: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return result


def reply_text(answer: Answer) -> str:
    """What a plain client shows: the answer with its [n] markers, then a compact list of
    the sources those markers point to."""
    if not answer.citations:
        return answer.text
    lines = [answer.text, "", "Sources:"]
    for c in answer.citations:
        where = " > ".join((c.title, *c.heading_path))
        lines.append(f"[{c.number}] {where} ({c.doc_id}, characters {c.start}-{c.end})")
    return "\n".join(lines)


def completion(call: ChatCall, answer: Answer) -> dict[str, Any]:
    """A non-streamed ``chat.completion``."""
    message = {"role": "assistant", "content": reply_text(answer), EXTENSION: extension(answer)}
    return {**_envelope(call, "chat.completion", _new_id()),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop",
                         "logprobs": None}], "usage": usage(answer)}


def usage(answer: Answer) -> dict[str, int]:
    """OpenAI's token counts, from the server's own (``Answer.tokens``; 0 when no model
    was asked, as for a cached or extractive answer)."""
    prompt, completion_ = answer.tokens.get("prompt", 0), answer.tokens.get("generated", 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion_,
            "total_tokens": prompt + completion_}


def chunks(call: ChatCall, stream: AnswerStream) -> Iterator[dict[str, Any]]:
    """``chat.completion.chunk`` dicts: the role first; while the model drafts, each draft
    piece in the ``citebot_draft`` field only (a draft may still lose sentences to the
    citation check, and a plain client cannot take back text it was sent); then the checked
    text in sentence-sized pieces, so the joined ``content`` is exactly the final reply; last,
    the ``citebot`` extension with ``finish_reason``."""
    head = _envelope(call, "chat.completion.chunk", _new_id())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                                     "logprobs": None}]}

    yield chunk({"role": "assistant", "content": ""})
    for draft in stream.text():
        yield chunk({DRAFT_FIELD: draft})
    answer = stream.answer()
    for piece in _pieces(failed(answer)):
        yield chunk({"content": piece})
    yield chunk({EXTENSION: extension(answer)}, "stop")
    if call.include_usage:  # as OpenAI sends it: no choices, the counts
        yield {**head, "choices": [], "usage": usage(answer)}


def _pieces(answer: Answer) -> list[str]:
    """The reply cut into sentences of the answer, then lines of the sources list."""
    text = reply_text(answer)
    body, sources = text[:len(answer.text)], text[len(answer.text):]
    return [p for p in (*_SENTENCE_END.split(body), *_LINE_END.split(sources)) if p]


def _envelope(call: ChatCall, kind: str, ident: str) -> dict[str, Any]:
    return {"id": ident, "object": kind, "created": int(time.time()), "model": call.model}


def _new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def error_body(message: str, type_: str = "invalid_request_error", code: str | None = None,
               param: str | None = None) -> dict[str, Any]:
    """OpenAI's error shape: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}
