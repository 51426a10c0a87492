"""The `citebot` command, through click's runner and as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import CORPUS
from ui.cli import main


def config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "citebot.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\ncorpus = ["{CORPUS}"]\n{extra}')
    return path


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_ingest_twice_embeds_nothing_the_second_time(tmp_path: Path) -> None:
    cfg = str(config_file(tmp_path))
    code, out = run("--config", cfg, "ingest")
    assert code == 0 and "4 documents" in out and ", 0 embedded" not in out
    code, out = run("--config", cfg, "ingest")
    assert code == 0
    assert ", 0 embedded" in out and "nothing new to embed" in out


def test_ask_models_and_config(tmp_path: Path) -> None:
    cfg = str(config_file(tmp_path))
    run("--config", cfg, "ingest")
    code, out = run("--config", cfg, "ask", "What does RLHF stand for?", "--model", "extractive")
    assert code == 0 and "Reinforcement Learning from Human Feedback" in out
    assert "[1]" in out and "searched for: What does RLHF stand for?" in out
    code, out = run("--config", cfg, "models")
    assert code == 0 and "extractive: ready" in out and "local (default)" in out
    code, out = run("--config", cfg, "config", env={"OPENAI_API_KEY": "sk-very-secret"})
    assert code == 0 and "sk-very-secret" not in out and '"openai_api_key": "***"' in out


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    cfg = str(config_file(tmp_path))
    code, out = run("--config", cfg, "ask", "hello", "--model", "gpt-9")
    assert code == 1 and "unknown model 'gpt-9'; choose one of: local, openai, extractive" in out
    assert "Traceback" not in out
    code, out = run("--config", cfg, "ingest", "--chunk-size", "50")
    assert code == 1 and "setting 'chunk_size' = 50" in out
    code, out = run("--config", cfg, "ask", "What is an LLM?", "--model", "extractive")
    assert code == 1 and "run `citebot ingest`" in out
    code, out = run("--config", cfg, "ingest", str(tmp_path / "missing"))
    assert code == 0 and "missing" in out


def test_help_is_instant_and_imports_no_heavy_library() -> None:
    probe = ("import sys; from ui.cli import main\n"
             "heavy = [m for m in ('torch', 'chromadb', 'gradio', 'sentence_transformers') "
             "if m in sys.modules]\nprint(heavy)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    help_text = subprocess.run([sys.executable, "-m", "ui.cli", "--help"], capture_output=True,
                               text=True, check=True).stdout
    assert "ingest" in help_text and "ask" in help_text
