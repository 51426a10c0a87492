"""Test questions on the user's own documents (bot/testset): drafted from a small document with
a list and a two-column comparison table, scored by `citebot eval`, saved from an answer into
the library's question file, and flagged when their document is removed. Real index, real
embedder, the extractive backend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.api import Bot
from bot.errors import InputError
from bot.question_sets import load_questions
from bot.settings import Settings
from bot.testset import counts, generate
from bot.testset.cases import facts_text, from_answer, key_terms, parse_facts
from bot.testset.library import read_questions
from tests.conftest import make_settings
from ui.cli import main

DOCUMENT = """# Keeping Houseplants Alive

Around 40% of new houseplants die within their first year, according to a 2019 survey of \
indoor gardeners. Most of them are killed by too much water rather than too little.

## Plants that tolerate low light

- Snake plant – survives weeks without water and grows in a dim corner.
- ZZ plant – stores water in its thick rhizomes.
- Pothos – trails from a shelf and grows fast in shade.
- Cast iron plant – tolerates neglect, cold rooms and poor light.

## Ferns versus succulents

| Aspect | Ferns | Succulents |
|---|---|---|
| Watering | Keep the soil evenly moist | Let the soil dry out completely |
| Light | Bright indirect light | Several hours of direct sun |
| Humidity | High humidity near a humidifier | Dry indoor air is fine |

## Repotting

Repot a healthy plant every 2 years in spring, into a pot one size larger. The botanist \
Luther Burbank recommended a loose, well-drained potting mix for most plants.
"""


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The document alone in a fresh index."""
    from ingest.pipeline import ingest_corpus

    tmp = tmp_path_factory.mktemp("testset")
    corpus = tmp / "docs"
    corpus.mkdir()
    (corpus / "houseplants.md").write_text(DOCUMENT, encoding="utf-8")
    settings = make_settings(tmp, corpus=(corpus,), model="extractive", index_check_s=0)
    ingest_corpus(settings)
    return settings


@pytest.fixture
def copy(indexed: Settings, tmp_path: Path) -> Settings:
    """A private copy of the index (its question file included) that a test may change."""
    shutil.copytree(indexed.data_dir, tmp_path / "data")
    return make_settings(tmp_path, corpus=indexed.corpus, model="extractive", index_check_s=0)


def cli(settings: Settings, *args: str) -> tuple[int, str]:
    config = settings.data_dir.parent / "cli.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\ncorpus = ["{settings.corpus[0]}"]\n'
                      f'report_dir = "{settings.report_dir}"\n')
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_generate_writes_every_kind_with_verbatim_support(indexed: Settings,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    code, shown = cli(indexed, "questions", "generate", "--out", str(out))
    assert code == 0, shown
    drafted = load_questions(out)
    kinds = counts(drafted)
    assert len(drafted) >= 3 and {"fact", "list", "comparison", "summary"} <= set(kinds)
    assert f"wrote {len(drafted)} questions to {out}: " in shown
    assert ", ".join(f"{k} {n}" for k, n in kinds.items()) in shown
    for q in drafted:
        assert q.origin == "generated" and q.docs == ("houseplants",)
        assert all(snippet in DOCUMENT for snippet in q.support), q
        assert all(fact in DOCUMENT for group in q.key_facts for fact in group[:1]), q
    by_kind = {q.kind: q for q in drafted}
    assert [g[0] for g in by_kind["list"].key_facts] == ["Snake plant", "ZZ plant", "Pothos",
                                                        "Cast iron plant"]
    comparison = by_kind["comparison"]
    assert "Ferns and Succulents compare on watering, light and humidity" in comparison.question
    assert ("Let the soil dry out completely",) in comparison.key_facts
    facts = [q for q in drafted if q.kind == "fact"]
    assert facts[0].key_facts == (("40%", "40 percent", "40 per cent"),)  # figures first
    assert "40%" not in facts[0].question and "___" in facts[0].question
    assert {q.key_facts[0][0] for q in facts} == {"40%", "Luther Burbank"}  # one a sentence


def test_eval_scores_the_drafted_questions(indexed: Settings, tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    cli(indexed, "questions", "generate", "--out", str(out), "--kinds", "fact,list,unanswerable")
    code, shown = cli(indexed, "eval", "--questions", str(out), "--model", "extractive",
                      "--out", str(tmp_path / "report"))
    assert code == 0, shown
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    drafted = load_questions(out)
    assert len(report["results"]) == len(drafted)
    assert {r["origin"] for r in report["results"]} == {"generated"}
    assert "generated" in shown  # the summary says where its questions came from
    # A cloze on one sentence of a one-document index: the extractive answer quotes it.
    assert report["by_kind"]["fact"]["fact_recall"] == 1.0
    assert report["by_kind"]["list"]["hit@5"] == 1.0


def test_drafts_are_deduplicated_capped_and_checked(indexed: Settings) -> None:
    bot = Bot(indexed)
    calls: list[tuple[int, int]] = []
    drafted = bot.generate_questions(per_doc=3, progress=lambda d, t: calls.append((d, t)))
    assert len(drafted) == 3 and calls == [(1, 1)]
    assert [q.kind for q in drafted] == ["fact", "list", "comparison"]  # one kind in turn
    twice = generate(bot.corpus, docs=["houseplants", "houseplants"])
    assert len({q.id for q in twice}) == len(twice)
    assert len({q.question for q in twice}) == len(twice)
    with pytest.raises(InputError, match=r"unknown question kind.*'riddle'.*choose from: fact"):
        bot.generate_questions(kinds=["riddle"])
    with pytest.raises(InputError, match=r"no document 'nope' in the index.*houseplants"):
        bot.generate_questions(docs=["nope"])


def test_unanswerable_drafts_ask_what_no_chunk_says(indexed: Settings) -> None:
    bot = Bot(indexed)
    absent = bot.generate_questions(kinds=["unanswerable"])
    assert absent and all(not q.answerable and not q.key_facts for q in absent)
    text = DOCUMENT.casefold()
    assert all(w not in text for w in ("founded", "headquarter", "licen"))  # so: askable
    assert [q.question for q in absent] == [
        'According to "Keeping Houseplants Alive", who founded Luther Burbank, and in which year?']


def test_saved_answer_passes_then_is_flagged_when_its_document_goes(copy: Settings) -> None:
    bot = Bot(copy)
    answer = bot.ask("Which plants tolerate low light?")
    terms = key_terms(answer, answer.question)
    assert "Snake plant" in terms and "ZZ plant" in terms
    edited = facts_text([*terms[:2], "Pothos | Devil's ivy"])
    saved = from_answer(answer, key_facts=edited)
    assert saved.key_facts[-1] == ("Pothos", "Devil's ivy") and saved.origin == "saved"
    assert all(s in DOCUMENT for s in saved.support) and saved.docs == ("houseplants",)
    wrong = from_answer(answer, wrong=True, note="it should say how often to water them")
    assert bot.save_questions([saved, wrong]) == 2
    code, shown = cli(copy, "eval", "--questions", "library", "--model", "extractive")
    assert code == 0, shown
    report = json.loads((copy.report_dir / "report.json").read_text())
    rows = {r["id"]: r for r in report["results"]}
    assert rows[saved.id]["fact_recall"] == 1.0 and rows[wrong.id]["origin"] == "wrong"

    bot.remove_document("houseplants")
    kept = read_questions(bot.questions_file)
    assert all("'houseplants' was removed" in q.flagged for q in kept)
    flagged = bot.evaluate("library")
    assert flagged.results == [] and {f["id"] for f in flagged.flagged} == {saved.id, wrong.id}
    code, shown = cli(copy, "questions", "list")
    assert "2 questions" in shown and "2 flagged" in shown and "FLAGGED: its document" in shown


def test_empty_library_and_bad_facts_say_what_to_do(copy: Settings) -> None:
    bot = Bot(copy)
    with pytest.raises(InputError, match=r"no test questions yet.*questions generate --out lib"):
        bot.evaluate("library")
    assert parse_facts(" a | b \n\n c ") == (("a", "b"), ("c",))
    answer = bot.ask("Which plants tolerate low light?")
    with pytest.raises(InputError, match="say what is wrong"):
        from_answer(answer, key_facts="", wrong=True)
