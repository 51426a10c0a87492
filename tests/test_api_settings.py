"""The API's settings: the key comes from CITEBOT_API_KEY only and is never shown; the MCP
endpoint is on unless turned off."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings


def test_the_api_key_comes_only_from_the_environment_and_is_masked(tmp_path: Path) -> None:
    toml = tmp_path / "citebot.toml"
    toml.write_text("")
    settings = load_settings(environ={"CITEBOT_API_KEY": "sk-api-1"}, config_file=toml)
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "sk-api-1"
    assert settings.public_dump()["api_key"] == "***" and "sk-api-1" not in repr(settings)
    toml.write_text('api_key = "sk-leak"\n')
    with pytest.raises(ConfigError, match="set CITEBOT_API_KEY in the environment"):
        load_settings(environ={}, config_file=toml)


def test_mcp_is_on_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    toml = tmp_path / "citebot.toml"
    toml.write_text("")
    assert load_settings(environ={}, config_file=toml).mcp is True
    assert load_settings(environ={"CITEBOT_MCP": "false"}, config_file=toml).mcp is False
