"""Matching words, beside ``draft`` and ``spans`` at the bottom of ``bot.plans``: the telling
words of a question or a heading, and how much of one text another holds.

Plain text in, numbers or yes/no out: nothing here knows chunks, pieces or the corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.text import content_words

_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
ASKING = frozenset(content_words("""list lists listed name names named enumerate give show tell
need complete full whole entire every each describe describes described mention mentions
mentioned cite cites cited go goes through walk point points just first couple different
various kind kinds type types sort sorts want know like main key agree agrees disagree
disagrees claim claims view views think according per item items piece article articles
using besides except
blog post covers""", stem=True))
"""Words that say how to answer ('list the ...', 'walk me through') or point at a document
('according to the piece that covers ...'), not what about."""


def terms(text: str) -> set[str]:
    """Stemmed content words, number words as digits ('ten' matches '10 Applications'),
    without the words of asking."""
    found = content_words(text, stem=True, question=True)
    return {_NUMBER_WORDS.get(w, w) for w in found} - ASKING


def weighted_overlap(a: str, b: str, idf: Callable[[str], float], *, ignore: str = "") -> float:
    """Share of ``a``'s content words (minus those of ``ignore``) found in ``b``, each word
    weighted by its idf: words the whole corpus uses count for little."""
    wanted = terms(a) - terms(ignore)
    total = sum(idf(t) for t in wanted)
    return sum(idf(t) for t in wanted & terms(b)) / total if total else 0.0


MIN_NAMING_SHARE = 0.3
"""A text (a table column, a heading, a sentence) names a thing when it holds this share of
the phrase's words: the phrase often carries an aspect too ('the architectures behind LLMs'
names 'Large Language Models')."""


def names_thing(thing: str, text: str) -> bool:
    """Whether ``text`` (a table column, a heading, a sentence) names the thing ``thing``."""
    return naming_share(thing, text) >= MIN_NAMING_SHARE


def naming_share(thing: str, text: str) -> float:
    """Share of the thing's words in ``text``, counting an acronym as its words: 'LLMs'
    names 'Large Language Models (LLMs)', 'generative AI' names 'Gen AI'."""
    want, have = terms(thing), terms(text) | _acronyms(text)
    return len(want & have) / len(want) if want else 0.0


def _acronyms(text: str) -> set[str]:
    words = re.findall(r"[A-Za-z]+", text)
    letters = "".join(w[0] for w in words if w[0].isupper()).lower()
    return {letters, letters + "s"} if len(letters) >= 2 else set()
