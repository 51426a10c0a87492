"""Faults: `citebot ingest` SIGKILLed at several points, and a missing or damaged store.

Each kill is a real subprocess killed on a deterministic trigger (a log line it prints with
-v) or, once, after a seeded random delay. After each kill the index must answer (or, before
any index was ever built, say to run `citebot ingest`), and the next run must finish the job:
exactly the expected chunks, no duplicates, no leftover collections, and nothing that was
already stored embedded again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.api import Bot
from bot.backends.embedders import make_embedder
from bot.errors import IndexMissingError, StoreError
from bot.settings import Settings
from bot.store import IndexInfo, Store, connect
from ingest.chunk import chunk_document
from ingest.clean import clean_document
from ingest.load import load_documents
from ingest.pipeline import ingest_corpus
from tests.conftest import ROOT, SEED_CHUNKS, copy_index, make_settings

QUESTION = "What does RLHF stand for?"
LOADING = "loading embedder"
FIRST_BATCH = "stored 64 of"
PROMOTING = "promoting"


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_WAIT_POLICY="PASSIVE",
               PYTHONUNBUFFERED="1")
    return env


def write_config(tmp: Path, settings: Settings) -> Path:
    path = tmp / "faults.toml"
    corpus = ", ".join(f'"{p}"' for p in settings.corpus)
    path.write_text(f'data_dir = "{settings.data_dir}"\ncorpus = [{corpus}]\n')
    return path


def kill_ingest(config: Path, trigger: str, *flags: str, delay: float = 0.0) -> list[str]:
    """Run `citebot -v ingest` and SIGKILL it ``delay`` s after a stderr line containing
    ``trigger``; fail if it ends before that. Returns the stderr lines seen."""
    return kill_citebot(config, trigger, "ingest", *flags, delay=delay)


def kill_citebot(config: Path, trigger: str, *args: str, delay: float = 0.0) -> list[str]:
    """Run `citebot -v ARGS` and SIGKILL it as :func:`kill_ingest` does."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "--config", str(config), "-v", *args],
        cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(180, proc.kill)  # a trigger that never comes must not hang
    watchdog.start()
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            if trigger in line:
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                break
        proc.stderr.read()
        proc.wait()
    finally:
        watchdog.cancel()
    assert proc.returncode == -signal.SIGKILL, (
        f"citebot {args[0]} ended with {proc.returncode} before it could be killed at "
        f"'{trigger}':\n"
        + "".join(seen[-15:]))
    return seen


def reconnect() -> None:
    """Forget cached Chroma clients: another process changed the store under them."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def index_info(settings: Settings) -> IndexInfo:
    return IndexInfo.from_settings(settings, make_embedder(settings.embedder))


def stored_anywhere(settings: Settings) -> int:
    """Chunks already embedded for these settings: in the live index or its staging one."""
    reconnect()
    client = connect(settings)
    for staging in (False, True):
        store = Store(client, settings.collection, index_info(settings), staging=staging)
        if store.exists():
            return store.open().count()
    return 0


def answers(settings: Settings) -> bool:
    reconnect()
    try:
        passages = Bot(settings).retrieve(QUESTION, k=3)
    except IndexMissingError:
        return False
    return any("Reinforcement Learning from Human Feedback" in p.text for p in passages)


def expected_ids(settings: Settings) -> set[str]:
    loaded = load_documents(list(settings.corpus))
    docs = [clean_document(d).document for d in loaded.documents]
    return {c.chunk_id for d in docs for c in chunk_document(
        d, chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)}


def assert_complete(settings: Settings) -> int:
    """Exactly the corpus's chunks, once each, and nothing else left in the store."""
    reconnect()
    store = Bot(settings).store
    metas = store.chunk_metadata()
    assert set(metas) == expected_ids(settings)
    positions = [(m["doc_id"], m["index"]) for m in metas.values()]
    assert len(positions) == len(set(positions)), "two stored chunks claim the same place"
    assert {str(m["doc_key"]) for m in metas.values()} == set(store.document_keys())
    names = {c if isinstance(c, str) else c.name for c in store.client.list_collections()}
    assert names == {store.live_name, store.live_name + "_docs"}, "orphan collections"
    return len(metas)


def finish(settings: Settings) -> int:
    """The next run: it must embed exactly what was not stored yet."""
    before = stored_anywhere(settings)
    report = ingest_corpus(settings)
    assert report.added == len(expected_ids(settings)) - before
    return assert_complete(settings)


def test_killed_first_build_says_run_ingest_and_next_run_finishes(tmp_path: Path,
                                                                  corpus_copy: Path) -> None:
    settings = make_settings(tmp_path, corpus=(corpus_copy,))
    config = write_config(tmp_path, settings)

    kill_ingest(config, LOADING)  # staging collections exist, nothing embedded yet
    with pytest.raises(IndexMissingError, match=r"no index yet: run `citebot ingest`"):
        Bot(settings).retrieve(QUESTION)
    assert stored_anywhere(settings) == 0

    kill_ingest(config, FIRST_BATCH)  # killed while embedding the second batch
    reconnect()
    with pytest.raises(IndexMissingError, match=r"run `citebot ingest`"):
        Bot(settings).retrieve(QUESTION)
    kept = stored_anywhere(settings)
    assert kept >= 64  # the first batch survived the kill and will not be embedded again

    assert finish(settings) == SEED_CHUNKS
    assert answers(settings)


def test_killed_rebuilds_leave_an_index_that_answers(tmp_path: Path, corpus_copy: Path) -> None:
    small = make_settings(tmp_path, corpus=(corpus_copy,))
    big = small.with_overrides(chunk_size=1200)
    config = write_config(tmp_path, small)
    ingest_corpus(small)

    # 1. chunk_size changed: killed mid-embedding, the old index still answers.
    kill_ingest(config, FIRST_BATCH, "--chunk-size", "1200")
    assert answers(small)
    with pytest.raises(IndexMissingError, match=r"chunk_size 800.*run `citebot ingest`"):
        Bot(big).retrieve(QUESTION)
    big_chunks = finish(big)
    assert answers(big)

    # 2. --rebuild killed while the new index is swapped in: whichever half of the swap it
    # reached, readers find a whole index, and the next run embeds nothing.
    kill_ingest(config, PROMOTING, "--chunk-size", "1200", "--rebuild")
    assert answers(big)
    report = ingest_corpus(big)
    assert report.added == 0 and assert_complete(big) == big_chunks

    # 3. back to the default size, killed at a seeded random moment of the first build.
    delay = random.Random(6).uniform(0.5, 4.0)
    kill_ingest(config, LOADING, delay=delay)
    assert answers(big) or answers(small)
    assert finish(small) == SEED_CHUNKS
    assert answers(small)


# -- missing or damaged store ------------------------------------------------------------------

def citebot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", "--config", str(config), *args],
                          cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=180)


def assert_one_clean_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 1, no Python traceback, and the error as the last stderr line naming the fix."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in last, last
    return last


@pytest.fixture(scope="module")
def pristine_store(tmp_path_factory: pytest.TempPathFactory, built_index: Settings) -> Path:
    """A built embedded store whose files each damage test copies (a copy of the run's seed
    index, built with these same default settings: embedding it again would add nothing)."""
    tmp = tmp_path_factory.mktemp("pristine")
    copy_index(built_index, tmp / "data")
    return tmp / "data"


def damaged_copy(pristine: Path, tmp: Path, damage: Callable[[Path], None]) -> Settings:
    import shutil

    shutil.copytree(pristine, tmp / "data")
    damage(tmp / "data" / "chroma" / "chroma.sqlite3")
    reconnect()
    return make_settings(tmp)


def garbage(path: Path) -> None:
    path.write_bytes(random.Random(1).randbytes(200_000))


def truncated(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(50_000)


def overwritten_middle(path: Path) -> None:
    with path.open("r+b") as handle:  # the header is fine; pages in the middle are not
        handle.seek(200_000)
        handle.write(random.Random(2).randbytes(300_000))


@pytest.mark.parametrize("damage", [garbage, truncated, overwritten_middle])
def test_damaged_store_is_one_clear_error_naming_the_fix(pristine_store: Path, tmp_path: Path,
                                                         damage: Callable[[Path], None]) -> None:
    settings = damaged_copy(pristine_store, tmp_path, damage)
    where = str(settings.chroma_path)
    with pytest.raises(StoreError) as caught:
        Bot(settings).retrieve(QUESTION)
    message = str(caught.value)
    assert where in message and "citebot ingest --rebuild" in message and "delete" in message
    result = citebot(write_config(tmp_path, settings), "ask", QUESTION, "--model", "extractive")
    assert_one_clean_line(result, where, "citebot ingest --rebuild")


def test_missing_store_or_collection_says_run_ingest(pristine_store: Path,
                                                     tmp_path: Path) -> None:
    (tmp_path / "never").mkdir()
    never = make_settings(tmp_path / "never")
    assert not never.data_dir.exists()
    with pytest.raises(IndexMissingError, match=r"there is no index yet: run `citebot ingest`"):
        Bot(never).retrieve(QUESTION)
    result = citebot(write_config(tmp_path / "never", never), "ask", QUESTION,
                     "--model", "extractive")
    assert_one_clean_line(result, "there is no index yet: run `citebot ingest`")

    settings = damaged_copy(pristine_store, tmp_path, lambda _: None)
    store = Bot(settings).store
    for name in (store.name, store.name + "_docs"):
        store.client.delete_collection(name)
    reconnect()
    with pytest.raises(IndexMissingError, match=r"there is no index yet: run `citebot ingest`"):
        Bot(settings).retrieve(QUESTION)
    assert ingest_corpus(settings).added == SEED_CHUNKS and answers(settings)
