"""Any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp, LM Studio), through
LangChain's ChatOpenAI. The local backend reuses this against its in-process server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bot.backends.base import Availability, GenerationRequest, Generator, Usage
from bot.errors import GenerationError, ModelUnavailableError

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)
_INSTALL = "pip install 'langchain-openai>=1,<2'"


class OpenAICompatibleGenerator(Generator):
    """Streams chat completions from ``base_url``. The API key is never logged or shown."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None, timeout: float,
                 name: str = "openai", max_retries: int = 0,
                 concurrency: int | None = None, seed: int | None = None) -> None:
        self.name = name
        self.concurrency = concurrency  # None: the server takes every request at once
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.seed = seed  # sent with every request: reruns at temperature 0 agree

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAICompatibleGenerator:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return cls(settings.openai_base_url, settings.openai_model, api_key=key,
                   timeout=settings.openai_timeout, concurrency=settings.openai_concurrency,
                   seed=settings.seed)

    def check(self) -> Availability:
        import httpx

        try:
            reply = httpx.get(f"{self.base_url}/models", timeout=3.0, headers=self._headers())
        except httpx.HTTPError as exc:
            return Availability(False, f"{self.base_url} is unreachable ({type(exc).__name__})")
        if reply.status_code in (401, 403):
            return Availability(False, f"{self.base_url} refused the API key (HTTP "
                                       f"{reply.status_code}); set it in the environment")
        return Availability(True, f"{self.base_url} answers, model '{self.model}'")

    def _redact(self, text: str) -> str:
        """``text`` without the API key: a server that refuses a key may quote it back."""
        return text.replace(self._api_key, "***") if self._api_key else text

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _chat_model(self, request: GenerationRequest) -> Any:
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:
            raise ModelUnavailableError(
                f"the openai backend needs langchain-openai: {_INSTALL}") from None
        from pydantic import SecretStr

        return ChatOpenAI(base_url=self.base_url, model=self.model,
                          api_key=SecretStr(self._api_key or "none"),  # local servers take any
                          timeout=self.timeout, max_retries=self.max_retries,
                          temperature=request.temperature, seed=self.seed,
                          max_completion_tokens=request.max_tokens, streaming=True,
                          stream_usage=True)  # token counts: what every answer costs

    def stream(self, request: GenerationRequest) -> Iterator[str | Usage]:
        import openai

        messages = [(m.role, m.content) for m in request.messages]
        finished = False
        try:
            for chunk in self._chat_model(request).stream(
                    messages, stop=list(request.stop) or None):
                finished = finished or bool(chunk.response_metadata.get("finish_reason"))
                if chunk.content:
                    yield str(chunk.content)
                if chunk.usage_metadata:
                    yield _usage(chunk.usage_metadata)
        except openai.APITimeoutError:
            raise GenerationError(
                f"the model at {self.base_url} did not answer within {self.timeout:g} s; "
                "try again, or raise openai_timeout") from None
        except openai.APIConnectionError:
            raise GenerationError(f"cannot reach the model server at {self.base_url}; is it "
                                  "running? (`citebot models` checks)") from None
        except openai.APIStatusError as exc:
            raise GenerationError(f"the model server at {self.base_url} answered HTTP "
                                  f"{exc.status_code}: {_short(self._redact(exc.message))}"
                                  ) from None
        if not finished:  # a stream that ends without a finish reason was cut off
            raise GenerationError(f"the model server at {self.base_url} stopped in the middle "
                                  "of the answer; what arrived is shown as incomplete")


def _usage(meta: Any) -> Usage:
    details = meta.get("input_token_details") or {}
    return Usage(int(meta.get("input_tokens", 0)), int(details.get("cache_read", 0) or 0),
                 int(meta.get("output_tokens", 0)))


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
