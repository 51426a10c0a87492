"""Answer plans: how evidence is gathered for each question shape, and the structure built from it.

A plan reads the structure ingestion recorded (heading paths, list items, table rows and
cells, offsets) through a :class:`Corpus`, and returns a :class:`Draft`: blocks of
:class:`Piece` s, each a verbatim (possibly trimmed) span of a source.
``bot.answering.blocks`` numbers the spans as citations and renders the answer; the model
only writes the connecting sentence.

The modules form layers, each importing only those below it (never this package):

- ``draft`` (what a plan returns), ``spans`` (a chunk's parts as pieces), ``matching``
  (the words of a question, and how much of one text another holds);
- ``tables`` (tables as ingestion recorded them);
- ``corpus`` (the corpus view, and the document a question names);
- ``ranking`` (statements ranked against a question), ``rows`` (the table rows it asks about);
- the plans: ``catalogue``, ``summary``, ``listing``, ``aspects``; then ``crossdoc`` (which
  uses the list plan's lists) and ``comparison`` (which uses lists and aspects).

This package only re-exports the names its callers use.
"""

from bot.plans.corpus import Corpus, DocInfo, Retrieve, named_document, without_names
from bot.plans.draft import Draft, DraftBlock, Piece
from bot.plans.matching import ASKING, terms, weighted_overlap
from bot.plans.spans import ITEM_CHARS, first_sentence, parts_of, piece, statements

__all__ = [
    "ASKING",
    "ITEM_CHARS",
    "Corpus",
    "DocInfo",
    "Draft",
    "DraftBlock",
    "Piece",
    "Retrieve",
    "first_sentence",
    "named_document",
    "parts_of",
    "piece",
    "statements",
    "terms",
    "weighted_overlap",
    "without_names",
]
