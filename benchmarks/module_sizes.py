"""Module sizes of bot/, ingest/ and ui/: the number of modules and p50 / p90 / max of lines per
module, for the three together and for each, then the 5 largest modules.

    python benchmarks/module_sizes.py [--root DIR]

A module is one .py file, __init__.py included; its size is its number of lines. The
percentiles are bot.evaluate's, the ones the evaluation reports use.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.evaluate import percentile

PACKAGES = ("bot", "ingest", "ui")


def sizes(root: Path, package: str) -> dict[str, int]:
    """Lines of each module of ``package`` under ``root``, by path relative to ``root``."""
    return {path.relative_to(root).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
            for path in sorted((root / package).rglob("*.py"))}


def row(name: str, lines: list[int]) -> str:
    return (f"{name:<8} {len(lines):>7} {percentile(lines, 50):>6.0f} {percentile(lines, 90):>6.0f}"
            f" {max(lines, default=0):>6}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Lines per module of bot/, ingest/ and ui/.")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    root = parser.parse_args(argv).root.resolve()
    by_package = {package: sizes(root, package) for package in PACKAGES}
    every = {path: n for modules in by_package.values() for path, n in modules.items()}
    print("lines per module (.py files, __init__.py included)")
    print(f"{'package':<8} {'modules':>7} {'p50':>6} {'p90':>6} {'max':>6}")
    print(row("all", list(every.values())))
    for package, modules in by_package.items():
        print(row(package, list(modules.values())))
    print("largest modules:")
    for path, n in sorted(every.items(), key=lambda item: (-item[1], item[0]))[:5]:
        print(f"  {n:>6}  {path}")


if __name__ == "__main__":
    main()
