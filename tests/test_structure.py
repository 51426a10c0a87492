"""What ingestion records of structure: list items, table headers, rows and cells (pipe tables
and one-cell-per-line tables), with document offsets that quote the text exactly."""

from __future__ import annotations

from bot.schema import Chunk, Document
from ingest.chunk import chunk_document, parse_blocks

LINE_TABLE = """Intro paragraph that says what follows in this small article.
Pets at a glance
Trait
Cats
Dogs
Diet
Mostly meat
Meat and plants
Exercise
Little, indoors
Daily walks
Noise
Quiet purring
Barking
Grooming needs are a matter of taste, and this long closing paragraph is plainly prose."""

PIPE_TABLE = "\n".join([
    "# Pets", "Some words before the table.",
    "| Trait | Cats | Dogs |", "|---|---|---|",
    *[f"| Trait {i} | cats do thing {i} well enough | dogs do thing {i} with vigour |"
      for i in range(12)]])


def doc(text: str, title: str = "Pets", suffix: str = ".txt") -> Document:
    return Document("d", title, "d" + suffix, text, {"suffix": suffix})


def cells(chunk: Chunk, kind: str) -> list[list[str]]:
    return [[chunk.span_text(s, e) for s, e in p.cells] for p in chunk.parts if p.kind == kind]


def test_a_one_cell_per_line_table_is_one_table_with_its_rows_and_cells() -> None:
    d = doc(LINE_TABLE)
    tables = [b for b in parse_blocks(d.text) if b.kind == "table"]
    assert len(tables) == 1 and tables[0].layout == "lines"
    (chunk,) = [c for c in chunk_document(d) if any(p.kind == "row" for p in c.parts)]
    assert cells(chunk, "header") == [["Trait", "Cats", "Dogs"]]  # the title is not a column
    assert cells(chunk, "row") == [["Diet", "Mostly meat", "Meat and plants"],
                                   ["Exercise", "Little, indoors", "Daily walks"],
                                   ["Noise", "Quiet purring", "Barking"]]
    assert chunk.heading_path == ("Pets at a glance",)
    assert "Grooming" not in " ".join(c for row in cells(chunk, "row") for c in row)  # prose ends


def test_short_lines_without_the_row_pattern_are_no_table() -> None:
    text = "Intro text here.\nNotes\nFirst\nSecond\nThird\nFourth\nFifth\nSixth line\nEnd."
    assert not [b for b in parse_blocks(text) if b.kind == "table"]


def test_a_split_pipe_table_records_its_header_on_every_piece() -> None:
    d = doc(PIPE_TABLE, suffix=".md")
    chunks = chunk_document(d, chunk_size=400, chunk_overlap=0)
    with_rows = [c for c in chunks if any(p.kind == "row" for p in c.parts)]
    assert len(with_rows) > 2
    rows = [row for c in with_rows for row in cells(c, "row")]
    assert [r[0] for r in rows] == [f"Trait {i}" for i in range(12)]  # each row once, in order
    for chunk in with_rows:
        (header,) = [p for p in chunk.parts if p.kind == "header"]
        assert d.text[header.start:header.end] == "| Trait | Cats | Dogs |"
        assert cells(chunk, "header") == [["Trait", "Cats", "Dogs"]]
        for part in chunk.parts:  # every offset quotes the document exactly
            for s, e in part.cells:
                assert d.text[s:e] == chunk.span_text(s, e) and d.text[s:e].strip() == d.text[s:e]


def test_list_items_are_parts_with_exact_offsets() -> None:
    d = doc("Intro sentence for the list below.\nThings\n- first thing\n- second thing\n"
            "• third thing\nClosing words of the article.")
    items = [p for c in chunk_document(d) for p in c.parts if p.kind == "item"]
    assert [d.text[p.start:p.end] for p in items] == ["- first thing", "- second thing",
                                                       "• third thing"]


def test_numbered_plain_headings_nest_under_the_heading_above() -> None:
    d = doc("Opening words of the article go here.\nThree Rules\nWhy they matter to us all.\n"
            "1. Be kind\nText one is here.\n2. Be brief\nText two is here.\nAfterword\nThe end.")
    paths = [c.heading_path for c in chunk_document(d, chunk_size=60, chunk_overlap=0)]
    assert ("Three Rules", "1. Be kind") in paths and ("Three Rules", "2. Be brief") in paths
    assert ("Afterword",) in paths


def test_a_first_heading_that_repeats_the_title_is_not_in_the_path() -> None:
    d = doc("# Pets at Home\n\nIntro words.\n\n## Cats\n\nCats purr.", title="Pets at home",
            suffix=".md")
    paths = [c.heading_path for c in chunk_document(d, chunk_size=30, chunk_overlap=0)]
    assert paths[0] == () and ("Cats",) in paths  # not ('Pets at Home', 'Cats')


def test_bold_label_paragraphs_and_definitions_are_list_items() -> None:
    """'**Token limits:** ...' one paragraph per item, and a Markdown definition list, are
    lists: each is an item part (a lone bold lead-in paragraph stays a paragraph)."""
    text = ("# Limits\n\n**Note:** this page is a summary.\n\nSome words between.\n\n"
            "**Token limits:** Each request holds at most 4,096 tokens.\n\n"
            "**Rate limits**: Sixty requests a minute per key.\n\n"
            "Closing words of the section.\n\n# Terms\n\n"
            "Embedding\n: A vector that stands for a text.\n\n"
            "Chunk\n: A piece of a document, indexed on its own.\n")
    d = doc(text, suffix=".md")
    items = [d.text[p.start:p.end] for c in chunk_document(d) for p in c.parts
             if p.kind == "item"]
    assert items == ["**Token limits:** Each request holds at most 4,096 tokens.",
                     "**Rate limits**: Sixty requests a minute per key.",
                     "Embedding\n: A vector that stands for a text.",
                     "Chunk\n: A piece of a document, indexed on its own."]


def test_an_html_definition_list_is_list_items() -> None:
    from ingest.html import html_text

    text, _ = html_text("<h2>Terms</h2><p>The words used here.</p><dl><dt>Embedding</dt>"
                        "<dd>A vector that stands for a text.</dd><dt>Chunk</dt>"
                        "<dd>A piece of a document.</dd></dl><p>The end of the page.</p>")
    items = [text[b.start:b.end] for b in parse_blocks(text) if b.kind == "item"]
    assert items == ["- Embedding: A vector that stands for a text.",
                     "- Chunk: A piece of a document."]


def test_heading_parts_hold_the_heading_words_without_their_marks() -> None:
    """'## HNSW Index Configuration' is shown as 'HNSW Index Configuration', never with its
    '#'s (an answer once read '**## HNSW Index Configuration**')."""
    d = doc("# Index\n\nIntro words of the page.\n\n## HNSW Index Configuration ##\n\n"
            "Set m and ef_construction before the first insert.\n", suffix=".md")
    headings = [d.text[p.start:p.end] for c in chunk_document(d) for p in c.parts
                if p.kind == "heading"]
    assert headings == ["Index", "HNSW Index Configuration"]
