"""Small text utilities shared by retrieval, citation checking and evaluation (stdlib only)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
# Sentence ends: . ! ? followed by space + capital/quote/digit/bracket, or a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“'(\[A-Z0-9])|\n+")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Dr.", "Mr.", "Ms.", "approx.", "Inc.")

STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't could did do does doing don't down during each few for
from further had has have having he her here hers herself him himself his how i if in into is
isn't it it's its itself just let's me more most my myself no nor not of off on once only or
other ought our ours ourselves out over own same she should so some such than that that's the
their theirs them themselves then there there's these they this those through to too under until
up very was we were what what's when where which while who whom why will with would you your
yours yourself yourselves
""".split())
"""Function words: meaningless in questions and documents alike."""

QUESTION_WORDS = frozenset("""
tell explain describe give list name please according article articles source sources say says
said mention mentioned one two many much versus vs difference differences define defined mean
means meaning
""".split())
"""How questions are asked, not what about: dropped from questions only. In a document they
carry meaning ("the mean of a sample", "Article 5", "the difference of two squares") and stay
searchable."""


@dataclass(frozen=True)
class Span:
    """A piece of a text with its offsets: ``text == source[start:end]``."""

    text: str
    start: int
    end: int


def words(text: str) -> list[str]:
    """Lower-cased words (letters/digits, inner apostrophes and hyphens kept)."""
    return [w.lower().strip("'’-") for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A deliberately light stemmer: plurals and possessives only (LLMs -> llm)."""
    word = word.lower().removesuffix("'s").removesuffix("’s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_words(text: str, *, keep_case: bool = False, stem: bool = False,
                  question: bool = False) -> list[str]:
    """Words that carry meaning (no stopwords), in order; optionally stemmed. With
    ``question``, the words of asking (QUESTION_WORDS) go too: pass it for a question (or a
    claim about one), never for a document's text."""
    out = []
    dropped = STOPWORDS | QUESTION_WORDS if question else STOPWORDS
    for raw in _WORD.findall(text):
        low = raw.lower().strip("'’-")
        if not low or low in dropped or (len(low) == 1 and not low.isdigit()):
            continue
        if stem:
            out.append(_stem(low))
        else:
            out.append(raw.strip("'’-") if keep_case else low)
    return out


_stem = stem


def normalise(text: str) -> str:
    """Case-folded, NFKC, whitespace-collapsed text for containment checks."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


def sentences(text: str) -> list[Span]:
    """Split text into sentences (and lines), with offsets into ``text``."""
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if _ends_with_abbreviation(text[start:match.start()]):
            continue
        _append(spans, text, start, match.start())
        start = match.end()
    _append(spans, text, start, len(text))
    return spans


def _ends_with_abbreviation(piece: str) -> bool:
    return piece.rstrip().endswith(_ABBREVIATIONS)


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    s = start + lead
    spans.append(Span(stripped, s, s + len(stripped)))


LIST_BULLET = re.compile(r"^\s*(?:[-–•*]|\d{1,2}[.)])\s+")
"""A list item's bullet or number, which a sentence quoted out of its list should lose."""

NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*(?:%|\b)")


def numbers(text: str) -> set[str]:
    """Numbers as written (commas dropped), for checking that a claim's figures are sourced."""
    return {m.group(0).replace(",", "").rstrip("%") for m in NUMBER.finditer(text)}


RANKING = frozenset("""
first last second third earliest latest oldest newest largest biggest smallest best worst
fastest slowest highest lowest greatest
""".split())
"""Words that rank or date a thing ("the first", "the largest"): like a figure, a claim holding
one says more than a passage that lacks it, however many of its other words match."""


def names(text: str) -> set[str]:
    """Names a text mentions, told by capitals inside a word or letters with digits (DALL-E,
    ChatGPT, GPT-4, GANs; a capitalised ordinary word may be Title Case, so it is not one),
    squashed to lower-case letters and digits with a plural ``s`` dropped: ``dalle``, ``gan``."""
    found = {squash(raw) for raw in _WORD.findall(text)
             if any(c.isupper() for c in raw[1:])
             or (any(c.isdigit() for c in raw) and any(c.isalpha() for c in raw))}
    return found - {""}


def squash(text: str) -> str:
    """Lower-case letters and digits only, a final plural ``s`` dropped (``LLMs`` -> ``llm``)."""
    key = re.sub(r"[^0-9a-z]", "", text.lower().removesuffix("'s").removesuffix("’s"))
    return key[:-1] if len(key) > 3 and key.endswith("s") and not key.endswith("ss") else key


def unsourced_claims(sentence: str, passage: str) -> set[str]:
    """The figures, names and ranking words of ``sentence`` that ``passage`` does not hold."""
    missing = numbers(sentence) - numbers(passage)
    squashed = squash(passage)
    missing |= {n for n in names(sentence) if n not in squashed}
    ranks = {w for w in words(sentence) if w in RANKING}
    return missing | (ranks - set(words(passage)))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0 when either is zero)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


_QUANTITY_ASK = re.compile(r"\bhow (many|much|large|big|long|old|often|fast)\b|\bwhat\b[^?]{0,30}"
                           r"\b(share|percentage|proportion|size|number|amount|price|cost)\b",
                           re.I)
_YEAR_ASK = re.compile(r"\b(which|what) year\b|\bwhen (was|were|did|is|will)\b|\bsince when\b",
                       re.I)
_QUANTITY = re.compile(r"(?<![\w-])\d[\d,.]*\b|\b(dozens?|hundreds?|thousands?|millions?|"
                       r"billions?|trillions?|twice|half|percent)\b", re.I)
_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")


def answers_the_kind(question: str, sentence: str) -> bool:
    """Whether ``sentence`` can be an answer of the kind the question asks for: a figure to
    'how many' (not the 4 of 'GPT-4') holding every figure the question names ('... in
    2030?'), a year to 'in which year'. A quoted sentence that fails this only shares words
    with the question. Other questions pass: 'Why did X find 90%?' may be answered by the
    sentence that corrects the figure."""
    if _YEAR_ASK.search(question) and not _YEAR.search(sentence):
        return False
    if _QUANTITY_ASK.search(question):
        return bool(_QUANTITY.search(sentence)) and numbers(question) <= numbers(sentence)
    return True
