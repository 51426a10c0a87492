"""Unanswerable questions close to a document: about a thing it names, asking what no
document of the corpus says about that thing.

The thing is a name the document uses (a word with an inner capital or a digit, or
capitalised words in mid-sentence: ``MongoDB``, ``Apache Cassandra``); the question asks one
of a few generic attributes (who founded it, what it costs, where it is based, its licence).
A draft is kept only when no chunk of the corpus that mentions the thing mentions the
attribute: checked absent, not assumed.
"""

from __future__ import annotations

import re
from collections import Counter

from bot.plans import Corpus
from bot.question_sets import Question
from bot.testset.drafts import draft, names_in
from bot.text import squash, stem

PER_DOC = 2
PROBES = (
    (("found", "creat", "invent"), 'Who founded {thing}, and in which year?'),
    (("price", "pricing", "cost", "$", "€"), "How much does a licence for {thing} cost per month?"),
    (("headquarter", "based in", "offices"), "In which city is {thing} headquartered?"),
    (("licen",), "Under which software licence is {thing} released?"),
)
"""(word stems that would answer it, the question): attributes of a named thing that any
corpus may or may not hold; none names a corpus."""


def absent_questions(corpus: Corpus, doc_id: str) -> list[Question]:
    """Up to PER_DOC questions about the document's most used names, each asking an
    attribute absent from every chunk of the corpus that mentions the name."""
    out: list[Question] = []
    for thing in _things(corpus, doc_id):
        mentions = [c.full_text.casefold() for c in corpus.chunks
                    if thing.casefold() in c.full_text.casefold()]
        for stems, template in PROBES:
            if not any(s in text for s in stems for text in mentions):
                asked = template.format(thing=thing)
                question = f'According to "{corpus.title(doc_id)}", {asked[0].lower()}{asked[1:]}'
                out.append(draft(doc_id, "unanswerable", question, [], [], answerable=False))
                break
        if len(out) >= PER_DOC:
            break
    return out


def _things(corpus: Corpus, doc_id: str) -> list[str]:
    """The document's names, the most telling first: used often here and rarely elsewhere.
    Title words (the topic) and all-capital acronyms (terms, not things) are left out."""
    title = {squash(w) for w in corpus.title(doc_id).split()}
    counted: Counter[str] = Counter()
    for chunk in corpus.doc_chunks(doc_id):
        counted.update(names_in(chunk.text))
    wanted = [t for t in counted if not {squash(w) for w in t.split()} <= title and len(t) > 2
              and not re.fullmatch(r"[A-Z]+s?", t)]
    return sorted(wanted, key=lambda t: -counted[t] * corpus.idf(stem(t)))
