from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings


def test_layers_defaults_toml_env_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "citebot.toml"
    toml.write_text('top_k = 3\nmodel = "extractive"\nchunk_size = 600\n')
    env = {"CITEBOT_TOP_K": "4", "CITEBOT_TEMPERATURE": "0.5"}
    settings = load_settings({"temperature": 0.2}, environ=env, config_file=toml)
    assert settings.chunk_size == 600          # toml over default
    assert settings.model == "extractive"      # toml, untouched by env
    assert settings.top_k == 4                 # env over toml
    assert settings.temperature == 0.2         # override over env
    assert settings.max_tokens == 200          # default


def test_env_file_location_and_none_overrides_are_ignored(tmp_path: Path) -> None:
    toml = tmp_path / "other.toml"
    toml.write_text("top_k = 9\n")
    settings = load_settings({"top_k": None}, environ={"CITEBOT_CONFIG": str(toml)})
    assert settings.top_k == 9


def test_bad_values_name_the_setting_and_the_limit() -> None:
    with pytest.raises(ConfigError, match=r"setting 'port' = '99999'.*less than or equal to 65535"):
        load_settings(environ={"CITEBOT_PORT": "99999"})
    with pytest.raises(ConfigError, match=r"chunk_overlap \(900\) must be smaller"):
        load_settings({"chunk_overlap": 900}, environ={})


def test_unknown_setting_lists_the_known_ones(tmp_path: Path) -> None:
    toml = tmp_path / "citebot.toml"
    toml.write_text("topk = 3\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'topk'; known settings: .*top_k"):
        load_settings(environ={}, config_file=toml)


def test_api_key_comes_only_from_the_environment(tmp_path: Path) -> None:
    toml = tmp_path / "citebot.toml"
    toml.write_text('openai_api_key = "sk-leak"\n')
    with pytest.raises(ConfigError, match=r"must not be stored in .*OPENAI_API_KEY"):
        load_settings(environ={}, config_file=toml)
    settings = load_settings(environ={"OPENAI_API_KEY": "sk-secret-123"})
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-secret-123"
    assert "sk-secret-123" not in repr(settings)
    assert "sk-secret-123" not in str(settings.public_dump())


def test_missing_explicit_config_and_broken_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={}, config_file=tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={}, config_file=bad)


@pytest.mark.parametrize(("env", "shown"), [
    ({"CITEBOT_PORT": "70000"}, "setting 'port' = '70000'"),
    ({"CITEBOT_PORT": "abc"}, "setting 'port' = 'abc'"),
    ({"CITEBOT_CHROMA_PORT": "0"}, "setting 'chroma_port' = '0'"),
])
def test_bad_port_is_one_line_with_the_allowed_range(env: dict[str, str], shown: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=env)
    message = str(caught.value)
    assert "\n" not in message and shown in message and "(allowed: 1 to 65535)" in message


def test_unknown_embedder_and_model_name_the_value_and_the_choices(tmp_path: Path) -> None:
    from bot.api import Bot
    from tests.conftest import make_settings

    with pytest.raises(ConfigError, match=r"^unknown embedder 'nope'; choose one of: minilm$"):
        Bot(make_settings(tmp_path, embedder="nope"))
    bot = Bot(make_settings(tmp_path, model="gpt-9"))
    with pytest.raises(ConfigError,
                       match=r"^unknown model 'gpt-9'; choose one of: local, openai, extractive$"):
        bot.ask("What is an LLM?")


def test_seed_reaches_the_chat_request(tmp_path: Path) -> None:
    from bot.backends.base import GenerationRequest
    from bot.backends.openai_compat import OpenAICompatibleGenerator

    request = GenerationRequest(messages=(), question="q", evidence=(), temperature=0.0)
    toml = tmp_path / "citebot.toml"
    toml.write_text("")
    seeded = OpenAICompatibleGenerator.from_settings(
        load_settings(environ={"CITEBOT_SEED": "7"}, config_file=toml))
    assert seeded._chat_model(request)._default_params["seed"] == 7  # sent with each request
    default = OpenAICompatibleGenerator.from_settings(load_settings(environ={}, config_file=toml))
    assert default._chat_model(request)._default_params["seed"] == 0
