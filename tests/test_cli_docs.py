"""`citebot docs list | add | remove` through click's runner, over a private index copy."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.settings import Settings
from tests.conftest import CORPUS, SECOND_CORPUS
from ui.cli import main

ARTICLE = SECOND_CORPUS / "nosql-at-scale.html"


def run(settings: Settings, tmp_path: Path, *args: str) -> tuple[int, str]:
    config = tmp_path / "cli.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\ncorpus = ["{CORPUS}"]\n')
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_docs_list_add_remove(index_copy: Settings, tmp_path: Path) -> None:
    code, out = run(index_copy, tmp_path, "docs", "list")
    assert code == 0 and out.rstrip().endswith("4 documents, 90 chunks")
    assert "revechat-llm-vs-genai" in out and "LLM vs Generative AI" in out

    code, out = run(index_copy, tmp_path, "docs", "add", str(ARTICLE))
    assert code == 0 and "added     nosql-at-scale.html (nosql-at-scale, " in out
    assert "now holds 5 documents" in out
    code, out = run(index_copy, tmp_path, "docs", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    new = next(r for r in rows if r["doc_id"] == "nosql-at-scale")
    assert len(rows) == 5 and new["type"] == "html" and new["uploaded"] is True

    code, out = run(index_copy, tmp_path, "docs", "remove", "nosql-at-scale")
    assert code == 0 and "1 removed" in out and "now holds 4 documents, 90 chunks" in out
    code, out = run(index_copy, tmp_path, "docs", "remove", "nosql-at-scale")
    assert code == 1 and "there is no document 'nosql-at-scale' in the index" in out


def test_removing_a_corpus_document_says_where_its_file_stays(index_copy: Settings,
                                                              tmp_path: Path) -> None:
    code, out = run(index_copy, tmp_path, "docs", "remove", "revechat-llm-vs-genai")
    assert code == 0 and "now holds 3 documents" in out
    assert "a later `citebot ingest` of its folder adds it again" in out
    code, out = run(index_copy, tmp_path, "ingest")
    assert code == 0 and "1 added, 0 updated, 3 unchanged" in out
