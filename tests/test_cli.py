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
    assert code == 0 and "this run: 4 file(s): 4 added" in out and "chunks 90 embedded" in out
    assert "now holds 4 documents, 90 chunks" in out
    code, out = run("--config", cfg, "ingest")
    assert code == 0 and "4 unchanged; chunks 0 embedded" in out
    assert "now holds 4 documents, 90 chunks" in out and "nothing new to embed" in out


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
    assert code == 0 and f"skipped {tmp_path / 'missing'}: " in out
    assert "does not exist; check the path, or create the file or folder." in out


def test_help_is_instant_and_imports_no_heavy_library() -> None:
    """``citebot --help`` must not import torch, Chroma, Gradio or sentence-transformers
    (several seconds each): checked after the help itself has been printed, in a fresh
    interpreter, rather than by a wall-clock bar that a busy or fast machine moves."""
    probe = ("import sys\nfrom ui.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit as done:\n    code = done.code\n"
             "heavy = [m for m in ('torch', 'chromadb', 'gradio', 'sentence_transformers') "
             "if m in sys.modules]\nprint('HEAVY', code, heavy)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert "ingest" in out and "ask" in out  # the help was printed
    assert out.strip().splitlines()[-1] == "HEAVY 0 []", out


def test_bad_settings_are_one_line_on_stderr_without_traceback(tmp_path: Path) -> None:
    cfg = str(config_file(tmp_path))
    cases = [
        (["ask", "hi", "--embedder", "nope"], "unknown embedder 'nope'; choose one of: minilm"),
        (["ask", "hi", "--model", "gpt-9"], "unknown model 'gpt-9'; choose one of: local"),
        (["serve", "--port", "70000"], "setting 'port' = '70000'"),
        (["serve", "--port", "abc"], "setting 'port' = 'abc'"),
        (["ask", "hi", "--chroma-port", "0"], "setting 'chroma_port' = '0'"),
    ]
    for args, needle in cases:
        result = subprocess.run([sys.executable, "-m", "ui.cli", "--config", cfg, *args],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and needle in result.stderr, (args, result.stderr)
        assert result.stdout == "", (args, result.stdout)
        if "port" in needle:
            assert "(allowed: 1 to 65535)" in result.stderr


def test_many_skipped_files_are_summarised(tmp_path: Path) -> None:
    folder = tmp_path / "crowd"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nA transformer is a neural network.\n")
    for i in range(40):
        (folder / f"empty-{i:02d}.txt").write_text("")
    code, out = run("--config", str(config_file(tmp_path)), "ingest", str(folder))
    assert code == 0 and "1 documents" in out
    skipped = [line for line in out.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 10 and "empty-00.txt" in skipped[0]
    assert "... and 30 more skipped file(s); `citebot -v ingest` lists them all" in out
    assert "this run: 41 file(s): 1 added, 0 updated, 0 unchanged, 40 skipped" in out
