"""Follow-up questions made standalone before retrieval: "And what are its applications?"
borrows the last question's topic; "tell me more about the fifth one" becomes the fifth item
of the list the conversation holds. The one place a conversation's history is read."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.breadth import BREADTH_K
from bot.answering.shape import classify
from bot.plans import Corpus
from bot.plans.listing import plan_list
from bot.schema import Turn
from bot.text import content_words


def standalone_query(question: str, turns: Sequence[Turn], corpus: Corpus) -> str:
    """The query retrieval is given for ``question`` asked after ``turns``."""
    if not turns:
        return question.strip()
    return nth_item_query(question, turns, corpus) or rewrite_query(question, turns)


_LEADING = re.compile(r"^\s*(and|also|so|then|but|ok(ay)?)\b[\s,]*", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(its|it|they|them|their|theirs|this|that|these|those)\b", re.IGNORECASE)
_ABOUT = re.compile(r"^\s*(what|how)\s+about\b", re.IGNORECASE)
_POSSESSIVE = {"its", "their", "theirs"}
# Ellipsis with no pronoun: "By which year?", "For what kind of tasks?" ...
_ELLIPTIC = re.compile(r"^\s*(by|for|in|from|since|until|with|at|on|to)\s+"
                       r"(what|which|whom|when|how)\b", re.IGNORECASE)
_ORDINALS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth".split(), start=1)}
# ... and a reference into the previous answer's list: "the fifth one", "the latter".
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r"|last|other)\s+ones?\b|"
                      r"\bthe\s+(latter|former)\b", re.IGNORECASE)


def rewrite_query(question: str, history: Sequence[Turn]) -> str:
    """Make a follow-up question standalone, using the topic of the last user turn.

    "And what are its applications?" after "What is generative AI?" becomes
    "What are generative AI's applications?". A question that needs no context,
    or has none to borrow, comes back unchanged.
    """
    topic = _last_topic(history)
    if not topic or not _is_follow_up(question):
        return question.strip()
    stripped = _LEADING.sub("", question).strip()
    match = _PRONOUN.search(stripped)
    if match and not _followed_by_noun(stripped, match):
        word = match.group(1).lower()
        replacement = f"{topic}'s" if word in _POSSESSIVE else topic
        rewritten = stripped[:match.start()] + replacement + stripped[match.end():]
    else:
        rewritten = f"{stripped.rstrip('?.! ')} ({topic})?"
    return rewritten[:1].upper() + rewritten[1:]


def _last_topic(history: Sequence[Turn]) -> str:
    for turn in reversed(history):
        if turn.role == "user":
            topic = " ".join(content_words(turn.content, keep_case=True, question=True))
            if topic:
                return topic
    return ""


def _is_follow_up(question: str) -> bool:
    return any(pattern.search(question) for pattern in (_LEADING, _ABOUT, _PRONOUN, _ELLIPTIC,
                                                         _ORDINAL))


def _followed_by_noun(text: str, match: re.Match[str]) -> bool:
    """'these models' refers with a noun of its own; 'this' alone needs the topic."""
    word = match.group(1).lower()
    if word not in {"this", "that", "these", "those"}:
        return False
    rest = text[match.end():].lstrip()
    return bool(rest) and rest[0].isalpha() and not rest.lower().startswith(("is ", "are ", "do"))



_NTH = re.compile(r"\bthe\s+(" + "|".join(_ORDINALS) + r"|last)\s+(one|item|point|entry)\b",
                  re.IGNORECASE)
_BULLET_LINE = re.compile(r"^- (.+)$", re.MULTILINE)


def nth_item_query(question: str, history: Sequence[Turn], corpus: Corpus) -> str | None:
    """'Tell me more about the fifth one' after a list: the fifth item, as the query. The
    item comes from the last answer's bullets, or, when the history holds only the earlier
    question, from the list that question gets."""
    match = _NTH.search(question)
    if not match or not history:
        return None
    items = _last_answer_items(history) or _listed_items(history, corpus)
    word = match.group(1).lower()
    n = len(items) if word == "last" else _ORDINALS[word]
    return items[n - 1] if 0 < n <= len(items) else None


def _last_answer_items(history: Sequence[Turn]) -> list[str]:
    for turn in reversed(history):
        if turn.role == "assistant":
            return [_plain(m.group(1)) for m in _BULLET_LINE.finditer(turn.content)]
    return []


def _listed_items(history: Sequence[Turn], corpus: Corpus) -> list[str]:
    last = next((t.content for t in reversed(history) if t.role == "user"), "")
    if classify(last).kind != "list":
        return []
    draft = plan_list(last, corpus.retrieve(last, BREADTH_K), corpus)
    if draft is None:
        return []
    block = draft.blocks[0]
    labels = block.labels or tuple(None for _ in block.items)
    return [_plain(f"{label.text}: {item.text}" if label else item.text)
            for item, label in zip(block.items, labels, strict=True)]


def _plain(text: str) -> str:
    return " ".join(re.sub(r"\[\d+\]|…", " ", text.replace("**", "")).split())
