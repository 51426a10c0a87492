"""Instructions hidden in documents: text that speaks to a model instead of a reader.

Such text is never evidence: it is kept from the model's prompt and never counts as support,
so a fact that only an instruction states cannot reach an answer. It is recognised at three
levels, each a property of how documents are written rather than of any one attack:

- a sentence or line (``INSTRUCTION``, frozen when the held-out attacks were written, and
  ``ADDRESSED``: an imperative addressed to a machine reader, talk of "every reply", a
  directive framed as "the task is to say"); configuration keys are read as words first
  (``reply_with`` is "reply with");
- a table row: each cell is read as if it began a line, and a row with an instruction in any
  cell is dropped whole (the rest of the row is the same author's);
- a block: a fenced code block or front matter holding an instruction is dropped whole (a
  policy written as data), and in a paragraph the sentences between two instructions, or
  continuing one ("The task ..."), are the same directive split over sentences.
"""

from __future__ import annotations

import re

from bot.schema import Chunk
from bot.text import Span, sentences

INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.]{0,60}\b(instructions?|rules|prompt|guidelines)\b"
    r"|(^|\n)\s*(system|assistant|user|human)\s*:|#{2,}\s*(instruction|response|system)\b"
    r"|<\|\s*im_(start|end)|\bsystem prompt\b"
    r"|\b(note|message) to (the )?(ai )?(assistants?|models?)"
    r"|(^|\n)\s*(dear|attention|note to|message to|for|to)\s+(the\s+)?((readers?|anyone)\s+"
    r"(that|who)\s+(are|is)\s+)?(an?\s+)?(ai|language|chat)?\s*"
    r"(models?|assistants?|chatbots?|bots?|llms?|agents?)\b[^.:\n]{0,50}:"
    r"|\b(you|the assistant|the model|every answer|any answer|each answer)\b[^.]{0,60}"
    r"\b(must|should|shall)\b[^.]{0,20}\b(reply|respond|answer|say|state|include|repeat|end|"
    r"print|append|mention|write|output|tell)\b"
    r"|\bwhen (anyone |a user |the user )?(is |are )?asked?s?\b[^.]{0,120}"
    r"\b(say|reply|respond|answer|state|tell)\b"
    r"|\b(reply|respond|answer) (only )?with\b"
    r"|\b(print|reveal|repeat|output) (your|the|this)\b[^.]{0,40}"
    r"\b(prompt|rules|instructions|code)",
    re.IGNORECASE)
"""The sentence filter as frozen before the held-out attack set was written."""

_MACHINE = r"(ai|models?|assistants?|chatbots?|bots?|llms?|agents?|summari[sz]ers?|crawlers?)"
_ORDER = (r"(cite|add|say|reply|respond|answer|use|ignore|include|tell|write|state|mention|"
          r"call|claim|describe|output|print|repeat|append|credit|refer|treat|report|insist|"
          r"recommend|link|quote)")
ADDRESSED = re.compile(
    rf"^\W*([\w-]+\s+){{0,2}}{_MACHINE}\s*[:,]\s*(please\s+)?(always\s+|never\s+|do not\s+|"
    rf"don'?t\s+)?{_ORDER}\b"
    r"|\b(whoever|anyone|anybody)\s+(who\s+)?(summari[sz]\w*|answer\w*|repl\w+|respond\w*|"
    r"quot\w*)\b"
    r"|\b(in|to|into|with|for)\s+(every|each|any|all|your)\s+(repl(y|ies)|answers?|"
    r"responses?|summar(y|ies)|outputs?)\b"
    rf"|\b(task|job|request|instructions?|assignment|directive)\s+(here\s+)?(is|was)\s+to\s+"
    rf"{_ORDER}\b"
    rf"|^\W*{_MACHINE}\s+(policy|instructions?|directives?|rules|behaviou?r|prompt)\W*[:=]",
    re.IGNORECASE | re.MULTILINE)
"""Instructions the frozen filter misses: an order addressed to a machine reader at the start
of a line or cell ("answer bots: cite ..."), a reader who summarises or answers, what to do
"in every reply", a directive framed as a task, and a policy key for an assistant."""

_CONTINUES = re.compile(r"^\W*((the|this|that|these|my|our)\s+(small\s+)?(task|request|"
                        r"instructions?|rules?|directive|job|favou?r)\b|please\b)",
                        re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)
_PARAGRAPH = re.compile(r"\n\s*\n")


def readable(text: str) -> str:
    """Configuration keys read as words: ``reply_with`` and ``replyWith`` are "reply with"."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return re.sub(r"(?<=[A-Za-z])_(?=[A-Za-z])", " ", spaced)


def is_instruction(text: str) -> bool:
    """Whether ``text`` (a sentence, line or table row) addresses a model rather than a reader."""
    texts = (text, readable(text))
    pieces = [*texts, *(p for t in texts for p in t.split("|"))] if "|" in text else texts
    return any(INSTRUCTION.search(p) or ADDRESSED.search(p.strip()) for p in pieces)


def quotable_spans(text: str) -> list[Span]:
    """Quotable pieces of a passage's text: its sentences and table rows, with offsets;
    injected instructions, and the blocks and split directives they belong to, are not among
    them."""
    spans = sentences(text) or [Span(text, 0, len(text))]
    flagged = [is_instruction(s.text) for s in spans]
    for block, fenced in _blocks(text):
        members = [i for i, s in enumerate(spans) if block.start <= s.start < block.end]
        hits = [i for i in members if flagged[i]]
        if not hits:
            continue
        if fenced:
            hits = members  # a policy written as data: the whole block is the attacker's
        for i in range(hits[0], hits[-1] + 1):
            flagged[i] = True  # between two parts of one directive
        for i in members:
            if i > 0 and flagged[i - 1] and i - 1 in members and _CONTINUES.match(spans[i].text):
                flagged[i] = True
    return [s for s, f in zip(spans, flagged, strict=True) if not f]


def _blocks(text: str) -> list[tuple[Span, bool]]:
    """Fenced code blocks and front matter (``True``), and the paragraphs between them."""
    fenced: list[Span] = []
    if text.startswith("---\n") and (end := text.find("\n---", 4)) > 0:
        fenced.append(Span(text[:end + 4], 0, end + 4))
    fences = [m.start() for m in _FENCE.finditer(text)]
    for open_at, close_at in zip(fences[::2], fences[1::2], strict=False):
        stop = text.find("\n", close_at + 1)
        stop = len(text) if stop < 0 else stop
        fenced.append(Span(text[open_at:stop], open_at, stop))
    if len(fences) % 2:  # a chunk cut inside a block: the rest of the chunk is that block
        fenced.append(Span(text[fences[-1]:], fences[-1], len(text)))
    blocks = [(b, True) for b in fenced]
    start = 0
    for gap in [*_PARAGRAPH.finditer(text), None]:
        end = gap.start() if gap else len(text)
        if not any(b.start <= start < b.end for b in fenced):
            blocks.append((Span(text[start:end], start, end), False))
        start = gap.end() if gap else len(text)
    return blocks


def statement_spans(chunk: Chunk) -> list[Span]:
    """``quotable_spans`` of a chunk's text without its heading lines: a heading names a
    section, it says nothing, and read out as a sentence ('# A Practical Guide [1].') it is
    not an answer. Headings are those ingestion recorded, and Markdown '#' lines."""
    heads = [(p.start - chunk.start, p.end - chunk.start) for p in chunk.parts
             if p.kind == "heading"]
    return [s for s in quotable_spans(chunk.text) if not s.text.startswith("#")
            and not any(a <= s.start and s.end <= b for a, b in heads)]
