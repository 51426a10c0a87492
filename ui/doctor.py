"""`citebot doctor`: each check says what it found, and what to do when it is wrong."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator

from bot.errors import CitebotError
from bot.settings import Settings

Check = tuple[bool, str]


def run_checks(settings: Settings) -> Iterator[Check]:
    """Python, packages, embedder, store and index, then every model backend."""
    yield sys.version_info[:2] == (3, 11), f"Python {sys.version.split()[0]} (3.11 expected)"
    for module, extra in (("chromadb", ""), ("sentence_transformers", ""), ("bm25s", ""),
                          ("xllamacpp", "[local]"), ("gradio", "[ui]")):
        found = importlib.util.find_spec(module) is not None
        yield found, f"package {module}" + ("" if found else
                                            f" missing: pip install -e '.{extra or ''}'")
    yield from _index_checks(settings)
    from bot.api import Bot

    for name, _, availability in Bot(settings).models():
        yield availability.ready, f"model '{name}': {availability.detail}"


def _index_checks(settings: Settings) -> Iterator[Check]:
    from bot.api import Bot

    bot = Bot(settings)
    try:
        bot.embedder.model_path()
        yield True, f"embedder {bot.embedder.model_id} installed"
        count = bot.store.count()
        where = (f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
                 if settings.chroma_host else f"embedded store {settings.chroma_path}")
        yield count > 0, f"index '{bot.store.name}' in {where}: {count} chunks" + (
            "" if count else " (empty: run `citebot ingest`)")
    except CitebotError as exc:
        yield False, str(exc)
