"""One typed settings object, layered: defaults < citebot.toml < CITEBOT_* env < explicit overrides.

``load_settings`` does the layering explicitly so that callers (and tests) pass the
environment and config file in, instead of anything patching ``os.environ``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.errors import ConfigError

ENV_PREFIX = "CITEBOT_"
CONFIG_FILE = "citebot.toml"
_SECRET_FIELDS = ("openai_api_key", "auth_password", "api_key")
_SECRET_ENV = {"openai_api_key": "OPENAI_API_KEY", "auth_password": "CITEBOT_AUTH_PASSWORD",
               "api_key": "CITEBOT_API_KEY"}


class Settings(BaseSettings):
    """Every knob citebot has. Build it with :func:`load_settings` at the edge and pass it down."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    # Where things live
    data_dir: Path = Field(Path(".citebot"), description="Folder of the embedded Chroma store.")
    corpus: tuple[Path, ...] = Field(
        (Path("corpus"),), description="Files or folders ingested when no paths are given."
    )
    cache_dir: Path = Field(
        Path.home() / ".cache" / "citebot", description="Where assembled model files are kept."
    )
    # Ingestion
    collection: str = Field("citebot", min_length=3, description="Base name of the collection.")
    embedder: str = Field("minilm", description="Embedding model (see `citebot models`).")
    chunk_size: int = Field(800, ge=200, le=8000, description="Target chunk length, characters.")
    chunk_overlap: int = Field(120, ge=0, description="Overlap between chunks, characters.")
    max_file_bytes: int = Field(5_000_000, ge=1, description="Larger input files are refused.")
    max_pdf_pages: int = Field(2000, ge=1, description="PDFs with more pages are refused.")
    max_pdf_page_bytes: int = Field(1_000_000, ge=1_000, description=(
        "Most decoded content-stream bytes of one PDF page (real pages hold ~20 KB); a 19 KB "
        "PDF can unpack to MBs per page that take minutes to read, so larger ones are refused."))
    max_pdf_seconds: float = Field(20.0, gt=0, le=3600, description=(
        "Time budget for reading the text out of one PDF, checked between pages."))
    # The Library: documents added from the web app or the API
    library_dir: Path | None = Field(None, description=(
        "Where uploaded files are kept, named by content hash (default: <data_dir>/library)."))
    allow_uploads: bool = Field(True, description=(
        "Let the web app and the API add and remove documents; off = a read-only Library."))
    max_upload_bytes: int = Field(5_000_000, ge=1, description="Larger uploaded files are refused.")
    max_upload_files: int = Field(20, ge=1, le=1000, description="Most files in one upload.")
    upload_queue: int = Field(4, ge=1, le=1000, description=(
        "API uploads taken at once: one is indexed, the others wait their turn without "
        "holding a worker thread; one more is refused (429) with a Retry-After hint."))
    upload_cache_s: int = Field(900, ge=1, le=86_400, description=(
        "Files received by the web app's upload box are deleted after this many seconds "
        "(those added to the Library are copied there first)."))
    index_check_s: float = Field(1.0, ge=0.0, le=3600.0, description=(
        "How often (seconds, at most) a running citebot looks for index changes made elsewhere."))
    # Store: embedded by default, a Chroma server when chroma_host is set
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(8000, ge=1, le=65535, description="Chroma server port.")
    # Answering
    model: str = Field("local", description="Generator backend: local, openai or extractive.")
    top_k: int = Field(5, ge=1, le=20, description="Passages given to the model.")
    temperature: float = Field(0.1, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(200, ge=16, le=4096, description="Longest answer, in tokens.")
    seed: int | None = Field(0, ge=0, description=(
        "Sampling seed sent with each model request (llama.cpp and OpenAI honour it), so that "
        "with temperature 0 a rerun gives the same answers. Unset: the server picks one."))
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused.")
    topic: str | None = Field(None, max_length=200, description=(
        "What the model is told the questions are about, e.g. 'PostgreSQL administration'. "
        "Unset: the indexed documents' titles, trimmed to a short line."))
    answer_cache: bool = Field(True, description=(
        "Answer a repeated question from memory (same index, model and settings)."))
    answer_cache_size: int = Field(512, ge=1, le=1_000_000, description=(
        "Most answers the cache keeps (least recently used go first)."))
    # Local llama.cpp backend
    local_model_path: Path | None = Field(None, description="Any GGUF file; default: Qwen2.5.")
    local_threads: int = Field(0, ge=0, le=256, description="llama.cpp threads; 0 = all cores.")
    local_ctx: int = Field(4096, ge=512, le=131072, description="llama.cpp context length.")
    local_slots: int = Field(1, ge=1, le=64, description=(
        "Answers llama.cpp generates at once (each gets local_ctx / slots of context). More "
        "do not pay on 2 CPU cores (measured: 1, 2, 4 slots gave 8.8, 9.0, 7.8 answers/min)."))
    # OpenAI-compatible backend
    openai_base_url: str = Field("https://api.openai.com/v1", description="Chat endpoint base.")
    openai_model: str = Field("gpt-4o-mini", description="Model name sent to the endpoint.")
    openai_api_key_env: str = Field("OPENAI_API_KEY", description="Env variable with the key.")
    openai_api_key: SecretStr | None = Field(None, description="Read from the environment only.")
    openai_timeout: float = Field(60.0, gt=0, description="Seconds before a request gives up.")
    openai_concurrency: int | None = Field(None, ge=1, le=1024, description=(
        "Answers the OpenAI-compatible server works on at once. Unset: no limit (a hosted "
        "service); set it to the server's slots so questions wait in a visible line."))
    # Evaluation
    questions_file: Path = Field(Path("corpus/questions.jsonl"), description="Test questions.")
    report_dir: Path = Field(Path("eval-report"), description="Where evaluations are written.")
    # Web app
    host: str = Field("127.0.0.1", description="Address the web app binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web app.")
    auth_username: str | None = Field(None, description="Web app login name (optional).")
    auth_password: SecretStr | None = Field(None, description="Web app password (env only).")
    login_attempts: int = Field(5, ge=1, le=1000, description=(
        "Wrong web-app passwords one address may try within login_window_s; past them its "
        "logins get a 429 until the window has passed."))
    login_window_s: int = Field(60, ge=1, le=86_400, description=(
        "Seconds over which wrong web-app passwords are counted."))
    fallback_after_s: float | None = Field(None, gt=0, le=3600, description=(
        "Web app: when a question's estimated wait for the model passes this many seconds, "
        "answer it at once with the verified extractive answer, labelled, and offer to ask "
        "the model anyway. Unset: every question waits for the model."))
    queue_size: int = Field(64, ge=1, le=10_000, description=(
        "Most questions that may wait for the model (and for the web app's queue); one more "
        "is told the queue is full and to try again."))
    # OpenAI-compatible API (/v1) and MCP server (/mcp), on the web app's server
    api_key: SecretStr | None = Field(None, description=(
        "Bearer key the /v1 API and /mcp require (env CITEBOT_API_KEY only). Unset: open on "
        "loopback, but closed when the web app has a login."))
    mcp: bool = Field(True, description="Serve the MCP tools ask and search at /mcp.")
    allowed_origins: tuple[str, ...] = Field((), description=(
        "Web origins (e.g. 'https://app.example.com') whose pages may call /v1 and /mcp "
        "from a browser besides the server's own; others get a 403."))

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Layering happens in load_settings, where the environment is a parameter.
        return (init_settings,)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size "
                f"({self.chunk_size})"
            )
        return self

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def library_path(self) -> Path:
        return self.library_dir or self.data_dir / "library"

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some values replaced (validated like everything else)."""
        data = self.model_dump()
        data.update({k: v for k, v in overrides.items() if v is not None})
        return _validate(data)

    def public_dump(self) -> dict[str, Any]:
        """Settings as plain values with secrets masked, for `citebot config` and reports."""
        data = self.model_dump(mode="json")
        for name in _SECRET_FIELDS:
            data[name] = "***" if data.get(name) else None
        return data


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' env source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls, env_prefix=ENV_PREFIX, case_sensitive=False)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._environ.items()}


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build Settings from defaults < citebot.toml < CITEBOT_* env < overrides.

    Args:
        overrides: values from CLI flags or Python arguments; ``None`` values are ignored.
        environ: the environment to read (default: ``os.environ``).
        config_file: the TOML file (default: ``$CITEBOT_CONFIG`` or ``./citebot.toml``).

    Raises:
        ConfigError: a value is invalid; the message names it and the fix.
    """
    env = os.environ if environ is None else environ
    path = config_file or Path(env.get(f"{ENV_PREFIX}CONFIG", CONFIG_FILE))
    data: dict[str, Any] = _read_toml(path, explicit=config_file is not None)
    data.update(_MappingEnvSource(Settings, env)())
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    key_env = str(data.get("openai_api_key_env", "OPENAI_API_KEY"))
    if env.get(key_env):
        data["openai_api_key"] = env[key_env]
    if env.get(f"{ENV_PREFIX}AUTH_PASSWORD"):
        data["auth_password"] = env[f"{ENV_PREFIX}AUTH_PASSWORD"]
    if env.get(f"{ENV_PREFIX}API_KEY"):
        data["api_key"] = env[f"{ENV_PREFIX}API_KEY"]
    return _validate(data)


def _read_toml(path: Path, *, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file '{path}' does not exist; create it or drop --config")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file '{path}' is not valid TOML: {exc}") from exc
    for name in _SECRET_FIELDS:
        if name in data:
            hint = _SECRET_ENV[name]
            raise ConfigError(
                f"'{name}' must not be stored in '{path}': remove it and set {hint} in the "
                "environment instead"
            )
    return data


def _validate(data: Mapping[str, Any]) -> Settings:
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    """One line per bad value: which setting, what was given, what is allowed."""
    lines = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"])
        if not name:  # a check across fields: its message already names them
            lines.append(str(err["msg"]).removeprefix("Value error, "))
        elif err["type"] == "extra_forbidden":
            known = ", ".join(sorted(Settings.model_fields))
            lines.append(f"unknown setting '{name}'; known settings: {known}")
        else:
            given = err.get("input")
            shown = "***" if name in _SECRET_FIELDS else repr(given)
            lines.append(f"setting '{name}' = {shown}: {err['msg']}{_allowed(name)}")
    return "; ".join(lines)


def _allowed(name: str) -> str:
    """' (allowed: 1 to 65535)' for a field with bounds, so every message gives the range."""
    field = Settings.model_fields.get(name)
    bounds: dict[str, Any] = {}
    for item in field.metadata if field else ():
        for key in ("ge", "gt", "le"):
            if getattr(item, key, None) is not None:
                bounds[key] = getattr(item, key)
    low = (f"{bounds['ge']}" if "ge" in bounds else
           f"more than {bounds['gt']}" if "gt" in bounds else "")
    if low and "le" in bounds:
        return f" (allowed: {low} to {bounds['le']})"
    if low:
        return f" (allowed: {'at least ' + low if 'ge' in bounds else low})"
    return f" (allowed: at most {bounds['le']})" if "le" in bounds else ""
