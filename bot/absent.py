"""Names a question uses that no document does.

"How do I send requests through a SOCKS5 proxy?" asked of documents that never say SOCKS5
still retrieves passages about proxies: close in meaning and in most words, so neither the
similarity bar nor the word-coverage bar of weak evidence catches it, and an answer about some
other proxy follows. The name is the question's point; when no document and no catalogue
entry uses it, even with one typo, the sources don't cover the question, and saying which name
is missing tells the user why.

A name, written as the user wrote it: a word that mixes letters and digits (SOCKS5, GPT4),
holds two capitals or more (QUIC, ElementTree, DPI), or is capitalised where a sentence does
not start (Rust, Australia). Ordinary words are left to the coverage bar: "disk", "licence"
and "released" also appear in questions the documents answer in other words. The rule and its
alternatives are measured on every corpus by ``benchmarks/calibrate_abstention.py``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Sequence

from bot.text import QUESTION_WORDS, STOPWORDS, content_words, stem

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n¿¡]|\s[-–—]\s)[\s\"'“‘(\[*¿¡]*$")
_ALPHABET = string.ascii_lowercase + string.digits + "-"
MIN_KNOWN_SHARE = 0.5
TYPO_MIN_CHARS = 5
"""Words this long or longer still match with one typo (a letter added, dropped, changed or
two swapped): 'ChatGTP' is ChatGPT. Shorter names would match too many other words."""


def named_terms(question: str) -> list[str]:
    """The question's names, as written, in order, each once."""
    names: list[str] = []
    for match in _TOKEN.finditer(question):
        raw = match.group().rstrip("'’-")
        low = raw.lower().removesuffix("'s").removesuffix("’s")
        if low in STOPWORDS or low in QUESTION_WORDS or low.startswith(("i'", "i’")):
            continue
        letters = [c for c in raw if c.isalpha()]
        if len(letters) < 2 or raw in names:
            continue
        mixed = any(c.isdigit() for c in raw)
        capitals = sum(c.isupper() for c in raw) >= 2
        starts = _SENTENCE_START.search(question[:match.start()]) is not None
        if mixed or capitals or (raw[0].isupper() and not starts):
            names.append(raw)
    return names


class Vocabulary:
    """The words a library uses (stemmed, lower case, as the keyword index keeps them)."""

    def __init__(self, words: Iterable[str]) -> None:
        self._words = frozenset(words)

    def knows(self, word: str) -> bool:
        """Whether the library uses ``word``, or for a long word one a typo away."""
        key = stem(word.lower())
        if key in self._words or word.lower() in self._words:
            return True
        return len(key) >= TYPO_MIN_CHARS and any(e in self._words for e in _one_edit(key))


def _one_edit(word: str) -> Iterator[str]:
    """Every string one insertion, deletion, substitution or adjacent swap from ``word``."""
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            yield head + tail[1:]
            if len(tail) > 1:
                yield head + tail[1] + tail[0] + tail[2:]
        for c in _ALPHABET:
            yield head + c + tail
            if tail:
                yield head + c + tail[1:]


def absent_names(question: str, known: Sequence[Vocabulary]) -> tuple[str, ...]:
    """The question's names that none of the ``known`` vocabularies uses (each part of a
    hyphenated name counts: 'AI-PRO' is known when the library says 'AI-PRO' or both 'AI'
    and 'PRO').

    None when most of the question's other words are unknown too: a question in another
    language ('¿Los LLM son un subconjunto de la IA generativa?') or on another subject is no
    question about one missing name, and the other weak-evidence bars decide it."""
    def knows(word: str) -> bool:
        return any(vocabulary.knows(word) for vocabulary in known)

    names = named_terms(question)
    lowered = {n.lower() for n in names}
    ordinary = [w for w in content_words(question, question=True) if w not in lowered]
    if ordinary and sum(map(knows, ordinary)) < MIN_KNOWN_SHARE * len(ordinary):
        return ()
    return tuple(n for n in names
                 if not knows(n) and not all(knows(p) for p in n.split("-") if p))


def absent_sentence(names: tuple[str, ...]) -> str:
    """What an abstention says of the missing names: 'None of them mentions “SOCKS5”.'"""
    quoted = [f"“{n}”" for n in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
    return f"None of them mentions {listed}."
