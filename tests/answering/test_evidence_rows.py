"""A fact taken from a table row is said with the row's label and the column's name."""

from __future__ import annotations

from pathlib import Path

from bot.api import Bot
from ingest.pipeline import ingest_corpus
from tests.conftest import make_settings

TABLE = """# Cheeses compared

A short note on two cheeses and how they are made, for the curious cook.

| Aspect | Cheddar | Brie |
|---|---|---|
| Milk | pasteurised cow's milk | raw or pasteurised cow's milk |
| Ripening time | three to twenty-four months in cloth | four to six weeks with a white rind |
| Texture | firm and crumbly when aged | soft and creamy at room temperature |

Both are eaten all over the world.
"""


def test_a_table_fact_is_said_with_its_row_label_and_column_names(tmp_path: Path) -> None:
    corpus = tmp_path / "cheese"
    corpus.mkdir()
    (corpus / "cheeses.md").write_text(TABLE)
    settings = make_settings(tmp_path, corpus=(corpus,), model="extractive")
    ingest_corpus(settings)
    answer = Bot(settings).ask("What is the ripening time of brie?")
    assert not answer.abstained, answer.text
    assert "Ripening time — Cheddar: three to twenty-four months" in answer.text, answer.text
    assert "Brie: four to six weeks" in answer.text and " | " not in answer.text, answer.text


def test_a_cut_table_says_how_many_of_its_rows_it_shows(tmp_path: Path) -> None:
    rows = "\n".join(f"| Cheese {i} | region {i} of the valley | aged {i + 2} months |"
                     for i in range(30))
    corpus = tmp_path / "many"
    corpus.mkdir()
    (corpus / "many.md").write_text(
        "# Thirty cheeses\n\nA catalogue of the valley's cheeses, one row each.\n\n## Catalogue\n\n"
        f"| Cheese | Region | Ageing |\n|---|---|---|\n{rows}\n\nThat is all of them.\n")
    settings = make_settings(tmp_path, corpus=(corpus,), model="extractive")
    ingest_corpus(settings)
    answer = Bot(settings).ask("Summarize the article Thirty cheeses")
    assert "(12 of 30 rows)" in answer.text, answer.text
