"""The "Use it from other tools" snippets (moved from the README to docs/api.md, which the
README links), run as written against a launched app (only the address and key are swapped
in): the Python ones in a fresh interpreter, the curl ones with curl."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.api import Bot
from bot.settings import Settings
from tests.conftest import ROOT, free_port
from tests.ui.api_helpers import launched

KEY = "sk-citebot-readme-3e1b"
PAGE = ROOT / "docs" / "api.md"
SECTION = re.compile(r"^## Use it from other tools\n(.*?)(?=^## |\Z)", re.S | re.M)
BLOCK = re.compile(r"^```(python|bash)\n(.*?)^```", re.S | re.M)


def snippets(kind: str) -> list[str]:
    section = SECTION.search(PAGE.read_text(encoding="utf-8"))
    assert section, "docs/api.md lost its 'Use it from other tools' section"
    return [code for lang, code in BLOCK.findall(section.group(1)) if lang == kind]


@pytest.fixture(scope="module")
def served(built_index: Settings) -> Iterator[str]:
    settings = built_index.with_overrides(port=free_port(), model="extractive", api_key=KEY)
    with launched(Bot(settings)) as url:
        yield url


def run(command: list[str], url: str, tmp: Path, settings: Settings) -> str:
    config = tmp / "citebot.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\n')
    env = {**os.environ, "CITEBOT_CONFIG": str(config), "CITEBOT_API_KEY": KEY}
    done = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def echoed(code: str) -> str:
    """The snippet as a Python prompt shows it: each bare expression's value is printed
    (the page writes REPL lines such as ``answer.text, answer.citations``)."""
    tree = ast.parse(code)
    tree.body = [ast.Expr(ast.Call(ast.Name("print", ast.Load()),
                                   [ast.Call(ast.Name("repr", ast.Load()), [node.value], [])],
                                   [])) if isinstance(node, ast.Expr) else node
                 for node in tree.body]
    return ast.unparse(ast.fix_missing_locations(tree))


def swap(code: str, url: str) -> str:
    return (code.replace("http://127.0.0.1:7860", url).replace('"unused"', f'"{KEY}"')
            .replace("<key>", KEY))


@pytest.mark.parametrize("index", range(3))
def test_the_python_snippets_run(served: str, built_index: Settings, tmp_path: Path,
                                 index: int) -> None:
    code = snippets("python")
    assert len(code) == 3
    script = tmp_path / "snippet.py"
    script.write_text(echoed(swap(code[1], served)) if index == 1 else swap(code[index], served))
    out = run([sys.executable, str(script)], served, tmp_path, built_index)
    if index == 0:
        assert "Sources:" in out and "Reinforcement Learning from Human Feedback" in out
    if index == 1:  # REPL lines, echoed: the LangChain reply, the context, the Answer
        reply, context, answer = out.splitlines()
        assert "Reinforcement Learning from Human Feedback" in reply and "Sources:" in reply
        assert context.startswith("'[1] ") and "[3] " in context, context
        assert "The sources don't cover this" not in answer and "[1]" in answer, answer
        assert re.search(r"applications?|used|create", answer, re.IGNORECASE), answer
    if index == 2:
        assert "['ask', 'search']" in out and "passages" in out


def test_the_curl_snippets_run(served: str, built_index: Settings, tmp_path: Path) -> None:
    (code,) = snippets("bash")
    out = run(["bash", "-euc", swap(code, served)], served, tmp_path, built_index)
    assert '"citebot-extractive"' in out and "chat.completion.chunk" in out
    assert "Reinforcement Learning from Human Feedback" in out and out.rstrip().endswith("[DONE]")
