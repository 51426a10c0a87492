"""ingest.chunk: the offset / coverage / overlap invariants on the seed articles and on random
texts (hypothesis), tables never cut and their headers repeated, headings, stable ids."""

from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ConfigError
from bot.schema import Chunk, Document
from ingest.chunk import TABLE_SLACK, _sentences, chunk_document, parse_blocks
from ingest.clean import clean_document
from ingest.load import load_documents

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
# What may come right before a sentence that starts inside a block: its closing punctuation.
SENTENCE_CLOSE = re.compile(r"[.!?…][\"'”’)\]]*$")


def make(text: str, doc_id: str = "d") -> Document:
    return Document(doc_id=doc_id, title="Title", source="x.txt", text=text)


def check_invariants(doc: Document, chunks: list[Chunk], size: int, overlap: int) -> None:
    """The contract of chunk_document, precisely.

    1. ``doc.text[c.start:c.end] == c.text``; no chunk is empty or starts/ends with whitespace.
    2. Chunks are in order (starts and ends strictly increase) and numbered 0..n-1.
    3. Nothing is lost: every non-whitespace character lies inside some chunk.
    4. Overlap: text shared by consecutive chunks is at most ``overlap`` characters, only
       within one section (same heading path, no table prefix), and consists of whole
       sentences: it starts at a block start (after a line break) or right after a sentence's
       closing punctuation, and ends at a block end or after closing punctuation. So a
       sentence longer than ``overlap`` is never repeated, not even in part.
    5. Size: ``len(full_text) <= size`` unless the chunk is table rows alone, or begins with
       the headings that start its section glued to one first piece (see
       assert_oversize_is_one_unit).
    """
    text = doc.text
    covered = 0
    for i, c in enumerate(chunks):
        assert text[c.start:c.end] == c.text and c.text.strip() == c.text != ""
        assert c.index == i and c.doc_id == doc.doc_id and c.title == doc.title
        assert not text[covered:c.start].strip(), "non-whitespace text left out of every chunk"
        covered = max(covered, c.end)
        if i:
            prev = chunks[i - 1]
            assert prev.start < c.start and prev.end < c.end
            shared = prev.end - c.start
            if shared > 0:
                assert shared <= overlap
                assert c.heading_path == prev.heading_path and c.prefix == ""
                before, after = text[prev.start:c.start], text[prev.end:]
                gap = before[len(before.rstrip()):]
                assert "\n" in gap or SENTENCE_CLOSE.search(before.rstrip())
                assert (not after or "\n" in after[: len(after) - len(after.lstrip())]
                        or SENTENCE_CLOSE.search(prev.text))
        if len(c.full_text) > size:
            assert_oversize_is_one_unit(c, size, text)
    assert not text[covered:].strip()


def assert_oversize_is_one_unit(c: Chunk, size: int, text: str) -> None:
    """A chunk longer than ``size`` is table rows and nothing else (rows are never cut), or
    a section's headings glued to one first piece (a sentence, a table, a row). Holding a "|"
    somewhere is no excuse: prose that runs long fails."""
    blocks = parse_blocks(text)
    rows = {span for b in blocks for span in b.rows}
    tables = {(b.start, b.end) for b in blocks if b.kind == "table"}
    if c.start in {a for a, _ in rows} and c.end in {b for _, b in rows}:
        return
    run = [b for b in blocks if b.kind == "heading" and c.start <= b.start < c.end]
    assert run and run[0].start == c.start, c.full_text[:80]
    rest = text[max(b.end for b in run):c.end].strip()
    start = c.end - len(rest)
    one_piece = (len(rest) <= size or (start, c.end) in rows | tables
                 or start in {a for a, _ in rows} or len(_sentences(text, start, c.end)) == 1)
    assert one_piece, c.full_text[:80]


def test_the_size_check_refuses_long_prose_that_merely_holds_a_pipe() -> None:
    """The size rule above once let any chunk holding a '|' run to any length."""
    text = "Plain prose about models and data. " * 30 + "It names the shell's a|b pipe once."
    doc = make(text)
    chunk = Chunk(chunk_id="x", doc_id="d", title="Title", text=doc.text, heading_path=(),
                  start=0, end=len(doc.text))
    with pytest.raises(AssertionError):
        check_invariants(doc, [chunk], 800, 0)


@pytest.fixture(scope="module")
def seeds() -> dict[str, Document]:
    return {d.doc_id: clean_document(d).document for d in load_documents([CORPUS]).documents}


@pytest.mark.parametrize(("size", "overlap"), [(800, 120), (300, 60), (1500, 200), (120, 0)])
def test_invariants_on_the_seed_articles(seeds: dict[str, Document], size: int,
                                         overlap: int) -> None:
    for doc in seeds.values():
        chunks = chunk_document(doc, chunk_size=size, chunk_overlap=overlap)
        check_invariants(doc, chunks, size, overlap)
        assert all(c.title == doc.title for c in chunks)


def test_seed_chunks_overlap_somewhere(seeds: dict[str, Document]) -> None:
    shared = [b.start < a.end for d in seeds.values()
              for a, b in itertools.pairwise(chunk_document(d))]
    assert any(shared)


def row_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        if "|" in line:
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


@pytest.mark.parametrize("size", [800, 300, 150])
def test_no_chunk_cuts_a_table_row(seeds: dict[str, Document], size: int) -> None:
    for doc in seeds.values():
        chunks = chunk_document(doc, chunk_size=size, chunk_overlap=size // 6)
        for start, end in row_spans(doc.text):
            assert any(c.start <= start and end <= c.end for c in chunks), doc.text[start:end]
            for c in chunks:
                assert not start < c.start < end and not start < c.end < end


def test_multi_line_cell_of_article_003_stays_in_one_chunk(seeds: dict[str, Document]) -> None:
    doc = seeds["llms-genai-differences-industries"]
    start = doc.text.index("- Fine-tuning for specific tasks")
    end = doc.text.index("interactive storytelling) |") + len("interactive storytelling) |")
    (table,) = [b for b in parse_blocks(doc.text) if b.start <= start < b.end]
    assert table.kind == "table" and (table.start, table.end) == (start, end)
    for size in (800, 200):
        assert any(c.start <= start and end <= c.end for c in chunk_document(doc, chunk_size=size))


def test_big_table_of_article_000_is_split_with_its_header_repeated(
        seeds: dict[str, Document]) -> None:
    doc = seeds["llms-vs-genai-key-differences"]
    header = "Aspect | LLM (Large Language Model) | Generative AI |"
    (table,) = [b for b in parse_blocks(doc.text) if b.kind == "table"]
    assert table.end - table.start > TABLE_SLACK * 800  # too big to keep whole
    pieces = [c for c in chunk_document(doc) if table.start <= c.start < table.end]
    assert len(pieces) >= 2 and pieces[0].text.startswith(header) and pieces[0].prefix == ""
    for piece in pieces[1:]:
        assert piece.prefix == header + "\n" and piece.full_text.startswith(header + "\n")
        assert len(piece.full_text) <= 800
    rows = doc.text[table.start:table.end].split("\n")
    assert [r for p in pieces for r in p.text.split("\n")] == rows  # each row exactly once


def test_markdown_table_header_and_separator_repeat() -> None:
    rows = [f"| row {n} | {'word ' * 12}|" for n in range(30)]
    text = "Intro.\n\n| Name | Notes |\n|---|---|\n" + "\n".join(rows) + "\n\nAfter."
    doc = make(text)
    chunks = chunk_document(doc, chunk_size=300, chunk_overlap=50)
    check_invariants(doc, chunks, 300, 50)
    table = [c for c in chunks if "| row" in c.text]
    assert len(table) > 3
    assert table[0].text.startswith("Intro.\n\n| Name | Notes |\n|---|---|\n| row 0")
    assert all(c.prefix == "| Name | Notes |\n|---|---|\n" for c in table[1:])


def test_two_column_markdown_table_is_one_block() -> None:
    text = "Intro.\na | b\n---|---\nc | d\n---\nText."
    blocks = [(b.kind, text[b.start:b.end]) for b in parse_blocks(text)]
    assert blocks == [("paragraph", "Intro."), ("table", "a | b\n---|---\nc | d"),
                      ("paragraph", "---\nText.")]


def test_table_a_little_over_size_stays_whole() -> None:
    rows = "\n".join(f"r{n} | {'x' * 40} |" for n in range(20))  # ~960 chars
    doc = make("Heading Line\nSome text before.\n" + rows)
    chunks = chunk_document(doc, chunk_size=800, chunk_overlap=100)
    holding = [c for c in chunks if "r0 |" in c.text]
    assert len(holding) == 1 and "r19 |" in holding[0].text


def test_seed_headings_are_recorded(seeds: dict[str, Document]) -> None:
    # A numbered heading is an item of the unnumbered heading above it, so its path keeps it.
    expected = {
        "llms-vs-genai-key-differences": (("What is generative AI?",), "Generative AI, or gen AI"),
        "aipro-genai-vs-llms": (("5 Underlying Differences Between Generative AI and LLMs",
                                 "1. Scope of Application"), "Generative AI: An all-encompassing"),
        "revechat-llm-vs-genai": (("When to Use LLMs",), "LLMs are a versatile solution"),
        "llms-genai-differences-industries": (("Applications of LLMs & Generative AI in Industries",
                                               "2. Healthcare"), "- Medical Documentation"),
    }
    for doc_id, (path, body) in expected.items():
        chunks = chunk_document(seeds[doc_id])
        (first,) = [c for c in chunks if body in c.text]
        assert first.heading_path == path
        assert first.text.startswith(path[-1] + "\n")  # the heading line opens its section
    paths = {c.heading_path for c in chunk_document(seeds["aipro-genai-vs-llms"])}
    assert ("7 Challenges and Limitations of AI Technologies",) in paths
    assert ("What are Large Language Models (LLMs)?",) in paths


def test_a_run_of_plain_headings_gives_a_two_level_path(seeds: dict[str, Document]) -> None:
    chunks = chunk_document(seeds["llms-genai-differences-industries"])
    (first,) = [c for c in chunks if "- Content Creation: LLMs generate" in c.text]
    assert first.heading_path == ("Applications of LLMs & Generative AI in Industries",
                                  "1. Business & Marketing")
    assert first.text.startswith("Applications of LLMs & Generative AI in Industries\n"
                                 "1. Business & Marketing\n")
    (later,) = [c for c in chunks if "- Medical Documentation" in c.text]
    assert later.heading_path == ("Applications of LLMs & Generative AI in Industries",
                                  "2. Healthcare")


def test_markdown_headings_nest() -> None:
    text = "\n\n".join(["# A", "Intro a.", "## B", "Text b.", "### C", "Text c.", "## D",
                        "Text d.", "# E", "Text e."])
    chunks = chunk_document(make(text), chunk_size=200, chunk_overlap=20)
    assert [c.heading_path for c in chunks] == [("A",), ("A", "B"), ("A", "B", "C"), ("A", "D"),
                                                ("E",)]
    assert [c.text.split("\n")[0] for c in chunks] == ["# A", "## B", "### C", "## D", "# E"]


def test_plain_heading_rules() -> None:
    text = ("Intro sentence here.\n1. Scope\nScope text.\nWhat is it?\nAnswer.\n"
            "Not a heading, it ends with a comma,\nmore text.\n- a list item\nItem body.")
    blocks = parse_blocks(text)
    headings = [text[b.start:b.end] for b in blocks if b.kind == "heading"]
    assert headings == ["1. Scope", "What is it?"]
    assert [b.kind for b in blocks][-2:] == ["item", "paragraph"]


def test_long_paragraph_splits_on_sentences_with_whole_sentence_overlap() -> None:
    sentences = [f"Sentence number {n} says something short." for n in range(40)]
    doc = make(" ".join(sentences))
    chunks = chunk_document(doc, chunk_size=300, chunk_overlap=100)
    check_invariants(doc, chunks, 300, 100)
    assert len(chunks) > 5
    for a, b in itertools.pairwise(chunks):
        assert a.text.endswith("short.") and b.text.startswith("Sentence number")
        assert 0 < a.end - b.start <= 100  # two whole sentences (~43 chars each) carried


def test_sentence_longer_than_the_overlap_is_never_repeated() -> None:
    long = "This sentence is deliberately made rather long so that it exceeds the overlap " * 2
    doc = make(" ".join(long.strip() + "." for _ in range(12)))
    chunks = chunk_document(doc, chunk_size=400, chunk_overlap=120)
    check_invariants(doc, chunks, 400, 120)
    assert all(b.start >= a.end for a, b in itertools.pairwise(chunks))


def test_sentence_longer_than_chunk_size_is_cut_without_loss() -> None:
    doc = make("word " * 500)
    chunks = chunk_document(doc, chunk_size=100, chunk_overlap=30)
    check_invariants(doc, chunks, 100, 30)
    assert all(len(c.text) <= 100 for c in chunks)
    nospace = make("x" * 1000)
    assert [len(c.text) for c in chunk_document(nospace, chunk_size=300, chunk_overlap=10)] == [
        300, 300, 300, 100]


def test_tail_of_a_cut_sentence_is_not_carried_as_overlap() -> None:
    # 'word ' * 45 + 'end.' is one 229-character sentence: cut into pieces of <= 100, its short
    # last piece would fit the overlap, but repeating it would repeat part of a sentence.
    doc = make("word " * 45 + "end. Next sentence is here. And one more sentence here.")
    chunks = chunk_document(doc, chunk_size=100, chunk_overlap=60)
    check_invariants(doc, chunks, 100, 60)
    assert all(b.start >= a.end for a, b in itertools.pairwise(chunks))


def test_chunk_ids_are_content_hashes_stable_under_edits_elsewhere() -> None:
    parts = [f"Heading {n}\nBody of section {n} is here." for n in range(5)]
    before = chunk_document(make("\n".join(parts)), chunk_size=200, chunk_overlap=20)
    edited = chunk_document(make("\n".join([*parts[:4], "Heading 4\nA new body."])),
                            chunk_size=200, chunk_overlap=20)
    assert [c.chunk_id for c in before[:4]] == [c.chunk_id for c in edited[:4]]
    assert before[4].chunk_id != edited[4].chunk_id
    c = before[0]
    assert c.chunk_id == hashlib.sha256(f"d\x1f\x1f{c.text}".encode()).hexdigest()[:16]
    other = chunk_document(make("\n".join(parts), doc_id="other"), chunk_size=200)
    assert other[0].chunk_id != c.chunk_id


def test_repeated_text_gets_distinct_ids() -> None:
    chunks = chunk_document(make("Same\nSame body.\nOther\nX.\nSame\nSame body."))
    ids = [c.chunk_id for c in chunks]
    assert chunks[0].text == chunks[2].text and len(set(ids)) == 3


@pytest.mark.parametrize("text", [
    "# " * 3000 + "x",  # a 'heading' line far too long to be one
    "|" * 5000,  # a 'row' far too long to be one
    "Short Title Line\n" * 3000,  # thousands of heading-like lines in a row
    "x | y\n" + "- c\n" * 500 + "z |",  # a 'cell' going on over 500 bullet lines
])
def test_degenerate_input_still_gives_bounded_chunks(text: str) -> None:
    doc = make(text)
    chunks = chunk_document(doc)
    check_invariants(doc, chunks, 800, 120)
    assert max(len(c.full_text) for c in chunks) <= 800


def test_bad_sizes_and_empty_text() -> None:
    with pytest.raises(ConfigError, match="chunk_overlap=800"):
        chunk_document(make("text"), chunk_size=800, chunk_overlap=800)
    with pytest.raises(ConfigError):
        chunk_document(make("text"), chunk_size=0, chunk_overlap=0)
    assert chunk_document(make("")) == [] and chunk_document(make(" \n\t\n ")) == []


WORDS = st.sampled_from(["alpha", "Beta", "LLM", "e.g.", "vs.", "AI", "x", "Über", "—", "|",
                         "data.", "Why?", "end!", "(note)", "“quote.”", "3.5", "- ", "#"])
LINE = st.one_of(
    st.lists(WORDS, min_size=1, max_size=30).map(" ".join),
    st.lists(WORDS, min_size=1, max_size=4).map(lambda w: " ".join(w).title()),
    st.lists(WORDS, min_size=1, max_size=4).map(lambda w: "#" * len(w) + " " + " ".join(w)),
    st.lists(WORDS, min_size=2, max_size=5).map(lambda w: " | ".join(w) + " |"),
    st.just("---|---|"),
    st.lists(WORDS, min_size=1, max_size=8).map(lambda w: "- " + " ".join(w)),
    st.integers(1, 12).map(lambda n: f"{n}. Numbered Heading"),
    st.sampled_from(["", " ", "\t", "    indented line."]),
    st.text(max_size=40),
)
STRUCTURED = st.lists(LINE, max_size=60).map("\n".join)
SIZES = st.integers(min_value=1, max_value=400).flatmap(
    lambda size: st.tuples(st.just(size), st.integers(min_value=0, max_value=size - 1)))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=STRUCTURED, sizes=SIZES)
def test_invariants_hold_on_random_structured_text(text: str, sizes: tuple[int, int]) -> None:
    doc = make(text)
    check_invariants(doc, chunk_document(doc, chunk_size=sizes[0], chunk_overlap=sizes[1]),
                     *sizes)


@settings(max_examples=250, deadline=None)
@given(text=st.text(max_size=1500), sizes=SIZES)
def test_invariants_hold_on_arbitrary_text(text: str, sizes: tuple[int, int]) -> None:
    doc = make(text)
    check_invariants(doc, chunk_document(doc, chunk_size=sizes[0], chunk_overlap=sizes[1]),
                     *sizes)


@settings(max_examples=100, deadline=None)
@given(text=STRUCTURED)
def test_blocks_hold_all_text_with_exact_offsets(text: str) -> None:
    blocks = parse_blocks(text)
    pos = 0
    for block in blocks:
        piece = text[block.start:block.end]
        assert piece == piece.strip() != "" and pos <= block.start
        assert not text[pos:block.start].strip()
        for start, end in block.rows:
            assert block.start <= start < end <= block.end
        pos = block.end
    assert not text[pos:].strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=STRUCTURED, sizes=SIZES)
def test_no_text_is_repeated_beyond_one_overlap(text: str, sizes: tuple[int, int]) -> None:
    """check_invariants bounds what neighbours share; this bounds repetition overall: no
    character is in three chunks, and the chunks together repeat at most one overlap per
    boundary, so the stored text is the document plus bounded overlap, never more."""
    size, overlap = sizes
    chunks = chunk_document(make(text), chunk_size=size, chunk_overlap=overlap)
    for first, third in zip(chunks, chunks[2:], strict=False):
        assert first.end <= third.start
    covered = sum(c.end - c.start for c in chunks)
    union = sum(end - start for start, end in merged_spans(chunks))
    assert covered - union <= overlap * max(len(chunks) - 1, 0)


def merged_spans(chunks: list[Chunk]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for c in chunks:
        if spans and c.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], c.end))
        else:
            spans.append((c.start, c.end))
    return spans


SETEXT_AND_CODE = """Environment Variables
=====================

Here is a list of environment variables that HTTPX recognizes:

`HTTPX_DEBUG`
-------------

Valid values: `1`, `true`.

```python
# test_script.py
import httpx
```

`SSL_CERT_FILE`
---------------

Valid values: a filename.
"""


def test_setext_headings_are_headings_and_a_code_block_is_one_block() -> None:
    """'Title' over '====' is a heading (its underline is no text of it); a '# comment' line
    inside a fenced code block is code, not a heading that would start a section."""
    blocks = [(b.kind, b.level, SETEXT_AND_CODE[b.start:b.end]) for b in
              parse_blocks(SETEXT_AND_CODE)]
    assert [b for b in blocks if b[0] == "heading"] == [
        ("heading", 1, "Environment Variables"), ("heading", 2, "`HTTPX_DEBUG`"),
        ("heading", 2, "`SSL_CERT_FILE`")]
    assert ("paragraph", 0, "```python\n# test_script.py\nimport httpx\n```") in blocks
    doc = Document("env", "Environment Variables", "env.md", SETEXT_AND_CODE, {"suffix": ".md"})
    paths = {c.heading_path for c in chunk_document(doc, chunk_size=120, chunk_overlap=0)}
    assert ("`SSL_CERT_FILE`",) in paths and not any("test_script.py" in p for p in paths)
