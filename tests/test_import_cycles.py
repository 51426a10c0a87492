"""The import-cycle checker (.ci/import_cycles.py): none in bot/, ingest/, ui/, and what counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / ".ci" / "import_cycles.py"


def check(*args: str) -> subprocess.CompletedProcess[str]:
    # A process of its own: the checker reads the packages from the root it is given, never
    # from modules this test process has imported.
    return subprocess.run([sys.executable, str(CHECKER), *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_no_import_cycles_in_the_packages() -> None:
    run = check()
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("import cycles: 0")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_function_level_import_makes_a_cycle_and_type_checking_does_not(tmp_path: Path
                                                                          ) -> None:
    write(tmp_path, {
        # lazy.b imports lazy.a only inside a method: a cycle all the same.
        "lazy/__init__.py": "",
        "lazy/a.py": "from lazy import b\n",
        "lazy/b.py": "class B:\n    def run(self):\n        from . import a\n        return a\n",
        # typed.b imports typed.a only for the type checker: no cycle.
        "typed/__init__.py": "",
        "typed/a.py": "from typed.b import B\n",
        "typed/b.py": ("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                       "    from typed import a\n\nclass B:\n    pass\n"),
    })
    run = check("--root", str(tmp_path), "lazy", "typed")
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert out.splitlines()[-1] == "import cycles: 1", out
    assert "component of 2 modules: lazy.a -> lazy.b -> lazy.a" in out, out
    assert "lazy/a.py:1  from lazy import b" in out, out
    assert "lazy/b.py:3  from . import a" in out, out
    assert "typed" not in out, out

    run = check("--root", str(tmp_path), "typed")
    assert (run.returncode, run.stdout) == (0, "import cycles: 0\n"), run.stdout + run.stderr
