"""Answerable questions drafted from one document's recorded structure, one function a kind.

- fact: a sentence that states a figure, a date or a name; the key fact is that value and the
  question the sentence with the value blanked out (near the blank only);
- list: a run of three or more list items; the key facts are the items' heads;
- comparison: a table whose header names an aspect column and two compared things; the key
  facts are the compared cells of (up to) three rows;
- summary: a document with three or more sections; the key facts are the section topics.

Support snippets are spans of the document exactly as recorded (``Chunk.span_text``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from bot.plans import Corpus, parts_of, statements
from bot.plans.tables import Table
from bot.question_sets import Question
from bot.schema import Chunk, Part
from bot.text import LIST_BULLET, squash, stem

MIN_ITEMS = 3
MAX_FACTS = 6
ROWS_PER_QUESTION = 3
CLOZE_WORDS = 9
"""Words kept on each side of the blank: enough to say what is asked, not the whole sentence."""
CELL_CHARS = 60

PERCENT = re.compile(r"\b\d[\d,.]*(?:\s?[-–]\s?\d[\d,.]*)?\s?(?:%|percent\b|per cent\b)")
YEAR = re.compile(r"\b(?:(?:January|February|March|April|May|June|July|August|September|"
                   r"October|November|December)\s+(?:\d{1,2},\s+)?)?(?:1[5-9]|20)\d{2}s?\b")
FIGURE = re.compile(r"\b\d[\d,.]*\d(?:\s(?:thousand|million|billion|trillion)\b)?(?![\w.,]\w)|"
                     r"\b\d\s(?:thousand|million|billion|trillion)\b")
NAME = re.compile(r"\b[A-Z][\w'’.-]*[A-Z0-9][\w'’.-]*\b|"  # inner capital: ChatGPT, GPT-4
                  r"(?:(?<=[a-z,;] )|(?<=[a-z,;] \())"   # mid-sentence: Apache Cassandra
                  r"[A-Z][a-z]+(?: [A-Z][\w-]+)+\b")
_CAPITALISED_BEFORE = re.compile(r"[A-Z][\w'’-]*[ (]$")
_COMPOUND = re.compile(r"[A-Z]+-[a-z-]+")
"""'AI-powered': an acronym made an adjective, not a name."""


def names_in(text: str) -> list[str]:
    """The names a text uses, whole: a run of capitalised words is taken from its first word
    ('Large Language Models', not 'Language Models' after '(Large')."""
    return [m.group(0).rstrip(".") for m in NAME.finditer(text)
            if not (" " in m.group(0) and _CAPITALISED_BEFORE.search(text[:m.start()]))
            and not _COMPOUND.fullmatch(m.group(0))]


_SEPARATORS = (" – ", " — ", " - ", ": ", " such as ", ", ", " (", ". ", "; ")
_LEADING = re.compile(r"^(?:(?:what|how|why|when|which|who|is|are|to|a|an|the|myth)\b[:\s]*)+",
                      re.IGNORECASE)


def question_id(doc_id: str, kind: str, text: str) -> str:
    """A content-derived id: the same draft gets the same id on every run."""
    return f"gen-{doc_id}-{kind}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


def draft(doc_id: str, kind: str, question: str, key_facts: Sequence[Sequence[str]],
          support: Sequence[str], reference: str = "", *, answerable: bool = True) -> Question:
    return Question(
        id=question_id(doc_id, kind, question), question=question, answerable=answerable,
        key_facts=tuple(tuple(dict.fromkeys(g)) for g in key_facts if g),
        support=tuple(dict.fromkeys(s for s in support if s.strip())), reference=reference,
        category=kind, kind=kind, origin="generated", docs=(doc_id,))


# -- facts --------------------------------------------------------------------------------------
def fact_questions(corpus: Corpus, doc_id: str) -> list[Question]:
    """A question for each whole sentence that states a value; figures first, then dates,
    then the rarest names (a name the whole corpus uses says nothing)."""
    title = corpus.title(doc_id)
    found: list[tuple[int, float, Question]] = []
    for chunk, part in parts_of(corpus.doc_chunks(doc_id), "paragraph"):
        for sentence in statements(chunk, part):
            if sentence.text.endswith("…"):
                continue  # trimmed: the blank must sit in the sentence the support quotes
            value = _value(sentence.quote, corpus, title)
            if value:
                rank, weight, label, text = value
                found.append((rank, -weight, _fact(doc_id, title, sentence.quote, label, text)))
    found.sort(key=lambda f: (f[0], f[1]))
    return [q for _, _, q in found]


def _value(sentence: str, corpus: Corpus, title: str) -> tuple[int, float, str, str] | None:
    for rank, (label, pattern) in enumerate((("figure", PERCENT), ("date", YEAR),
                                             ("figure", FIGURE))):
        match = pattern.search(sentence)
        if match:
            return rank, 0.0, label, match.group(0)
    topic = {squash(w) for w in title.split()}
    names = names_in(sentence)
    names = [n for n in names if not {squash(w) for w in n.split()} <= topic and len(n) > 2]
    if not names:
        return None
    best = max(names, key=lambda n: sum(corpus.idf(stem(w)) for w in n.split()))
    return 3, sum(corpus.idf(stem(w)) for w in best.split()), "name", best


def _fact(doc_id: str, title: str, sentence: str, label: str, value: str) -> Question:
    at = sentence.index(value)
    before, after = sentence[:at], sentence[at + len(value):].rstrip(" .")
    left = " ".join(before.split()[-CLOZE_WORDS:]) + (" " if before[-1:].isspace() else "")
    right = (" " if after[:1].isspace() else "") + " ".join(after.split()[:CLOZE_WORDS])
    cloze = f"{left}___{right}".strip()
    question = f'In "{title}", what {label} fills the blank: "{cloze}"?'
    return draft(doc_id, "fact", question, [_variants(value)], [sentence], sentence)


def _variants(value: str) -> list[str]:
    out = [value]
    if value.endswith("%"):
        number = value[:-1].strip()
        out += [f"{number} percent", f"{number} per cent"]
        if re.search(r"\d\s?[-–]\s?\d", number):  # a range: 20-30%, 20–30%, 20 to 30
            low, high = re.split(r"\s?[-–]\s?", number, maxsplit=1)
            out += [f"{low}-{high}%", f"{low}–{high}%", f"{low} to {high}"]
    if "," in value:
        out.append(value.replace(",", ""))
    return out


# -- lists --------------------------------------------------------------------------------------
def list_questions(corpus: Corpus, doc_id: str) -> list[Question]:
    """A question for each run of MIN_ITEMS or more list items with nothing between them."""
    title = corpus.title(doc_id)
    out = []
    for run in _item_runs(corpus.doc_chunks(doc_id)):
        items = [_item_text(c, p) for c, p in run]
        heads = [item_head(t) for t in items if t][:MAX_FACTS]
        chunk = run[0][0]
        heading = chunk.heading_path[-1] if chunk.heading_path else ""
        question = (f'What does "{title}" list under "{heading}"?' if heading
                    else f'Which items does "{title}" list?')
        out.append(draft(doc_id, "list", question, [[h] for h in heads],
                         [t for t in items if t][:MAX_FACTS], "; ".join(heads)))
    return out


def _item_runs(chunks: Sequence[Chunk]) -> list[list[tuple[Chunk, Part]]]:
    parts = sorted((cp for kind in ("item", "paragraph", "heading", "header", "row")
                    for cp in parts_of(chunks, kind)), key=lambda cp: cp[1].start)
    runs: list[list[tuple[Chunk, Part]]] = [[]]
    for chunk, part in parts:
        if part.kind == "item":
            runs[-1].append((chunk, part))
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if len(run) >= MIN_ITEMS]


def _item_text(chunk: Chunk, part: Part) -> str:
    text = chunk.span_text(part.start, part.end)
    bullet = LIST_BULLET.match(text)
    return (text[bullet.end():] if bullet else text).strip()


def item_head(text: str) -> str:
    """What an item or a cell is about: up to its first separator, or its first words."""
    cut = min((text.find(s) for s in _SEPARATORS if text.find(s) > 0), default=len(text))
    head = text[:cut].strip(" .;:,")
    words = head.split()
    return " ".join(words[:4]) if len(words) > 6 else head


# -- comparisons --------------------------------------------------------------------------------
def comparison_questions(corpus: Corpus, doc_id: str) -> list[Question]:
    """For each table headed by an aspect column and two compared things, a question a
    ROWS_PER_QUESTION rows: the rows' labels name the aspects asked about."""
    title = corpus.title(doc_id)
    out = []
    for table in (t for t in corpus.tables() if t.doc_id == doc_id):
        columns = table.columns()
        if len(columns) != 3:
            continue
        for at in range(0, len(table.rows), ROWS_PER_QUESTION):
            rows = table.rows[at:at + ROWS_PER_QUESTION]
            if rows:
                out.append(_comparison(doc_id, title, table, rows, columns[1], columns[2]))
    return out


def _comparison(doc_id: str, title: str, table: Table, rows: Sequence[tuple[Chunk, Part]],
                first: str, second: str) -> Question:
    labels = [table.label(r) for r in rows]
    aspects = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    question = f'In "{title}", how do {first} and {second} compare on {aspects.lower()}?'
    facts = [[_cell(chunk.span_text(*cell))] for chunk, part in rows for cell in part.cells[1:3]]
    support = [chunk.span_text(part.start, part.end) for chunk, part in rows]
    return draft(doc_id, "comparison", question, facts, support, " / ".join(labels))


def _cell(text: str) -> str:
    return text if len(text) <= CELL_CHARS else item_head(text)


# -- summaries ----------------------------------------------------------------------------------
def summary_questions(corpus: Corpus, doc_id: str) -> list[Question]:
    """A summary question for a document with three or more top-level sections."""
    sections = list(dict.fromkeys(c.heading_path[0] for c in corpus.doc_chunks(doc_id)
                                  if c.heading_path))
    if len(sections) < 3:
        return []
    title = corpus.title(doc_id)
    facts = [[s, core] if (core := _LEADING.sub("", s).rstrip("?").strip()) else [s]
             for s in sections[:MAX_FACTS]]
    return [draft(doc_id, "summary", f'Summarize "{title}".', facts, sections[:MAX_FACTS],
                  "; ".join(sections))]
