"""The registry of generator backends. Built-ins register through the same call a plugin
would use; factories are "module:attribute" strings so nothing heavy is imported early."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.backends.base import Generator
    from bot.settings import Settings


@dataclass(frozen=True)
class BackendInfo:
    name: str
    factory: str | Callable[[Settings], Generator]
    description: str


_BACKENDS: dict[str, BackendInfo] = {}


def register(name: str, factory: str | Callable[[Settings], Generator],
             description: str) -> None:
    """Register a backend; ``factory`` builds it from Settings (or names such a callable)."""
    _BACKENDS[name] = BackendInfo(name, factory, description)


def backends() -> list[BackendInfo]:
    return list(_BACKENDS.values())


def create_generator(name: str, settings: Settings) -> Generator:
    """Build the backend called ``name``; an unknown name lists the known ones."""
    try:
        info = _BACKENDS[name]
    except KeyError:
        known = ", ".join(_BACKENDS)
        raise ConfigError(f"unknown model '{name}'; choose one of: {known}") from None
    factory: Any = info.factory
    if isinstance(factory, str):
        module, _, path = factory.partition(":")
        factory = importlib.import_module(module)
        for attr in path.split("."):
            factory = getattr(factory, attr)
    generator: Generator = factory(settings)
    return generator


def _extractive(settings: Settings) -> Generator:
    from bot.backends.extractive import ExtractiveGenerator

    return ExtractiveGenerator()


register("local", "bot.backends.local:LocalGenerator",
         "Qwen2.5-Coder-1.5B-Instruct on this CPU with llama.cpp (default)")
register("openai", "bot.backends.openai_compat:OpenAICompatibleGenerator.from_settings",
         "any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio)")
register("extractive", _extractive, "no LLM: quotes the most relevant source sentences")
