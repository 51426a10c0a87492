"""The scale benchmark's corpus generator: deterministic, and exactly the chunks asked for."""

from __future__ import annotations

from pathlib import Path

from scale_corpus import load_corpus, write_corpus


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))}


def test_installed_packages_give_the_same_corpus_of_exactly_n_chunks(tmp_path: Path) -> None:
    first = write_corpus(tmp_path / "a", 45)
    second = write_corpus(tmp_path / "b", 45)
    assert first == second and first.chunks == 45 and first.topup_chunks == 0
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    docs, chunks = load_corpus(tmp_path / "a")  # what the ingestion pipeline would see
    assert len(chunks) == 45 and len(docs) == first.articles
    assert all(c.text.strip() for c in chunks)


def test_a_smaller_corpus_is_a_prefix_of_a_bigger_one(tmp_path: Path) -> None:
    write_corpus(tmp_path / "small", 20)
    write_corpus(tmp_path / "big", 45)
    _, small = load_corpus(tmp_path / "small")
    _, big = load_corpus(tmp_path / "big")
    shared = {c.chunk_id for c in small} & {c.chunk_id for c in big}
    assert len(shared) >= 18  # all but the cut article's last chunk or so


def test_when_the_packages_run_out_the_top_up_is_seeded_and_exact(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "pkg").mkdir(parents=True)
    paragraph = ("The {n}th paragraph explains how the widget resolves a request, why it caches "
                 "the answer for a while, and what happens when the cache is full.")
    doc = "\n\n".join(paragraph.format(n=n) for n in range(12))
    (root / "pkg" / "mod.py").write_text(f'"""{doc}"""\n', encoding="utf-8")
    first = write_corpus(tmp_path / "a", 30, root=root)
    second = write_corpus(tmp_path / "b", 30, root=root)
    assert first.chunks == 30 and first.topup_chunks > 0 and first == second
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert len(load_corpus(tmp_path / "a")[1]) == 30
