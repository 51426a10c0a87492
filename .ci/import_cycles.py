"""Import cycles among the modules of bot/, ingest/ and ui/, taken together as one graph.

    python .ci/import_cycles.py [--root DIR] [PACKAGE ...]   (default: this checkout, bot ingest ui)

Prints each cycle as a path of imports with the file:line of each, then "import cycles: N" (N is
the number of strongly connected components with a cycle in them), and exits 1 when N > 0.

The graph is grimp's (the engine behind import-linter), built with exclude_type_checking_imports:
it reads every import statement of a file, those inside functions, methods and try blocks too,
resolves relative imports, and takes `from pkg import name` for an import of the submodule
pkg.name when there is one, of pkg otherwise; imports under `if TYPE_CHECKING:` are left out.
grimp lists no cycles (nominate_cycle_breakers names imports to cut, not the cycles), so the
components are found here (Tarjan) and each is shown by its shortest cycle through its first
module. Imports made at run time (importlib.import_module, entry points) are not statements, and
are not seen.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "ingest", "ui")


def build(root: Path, packages: list[str]) -> grimp.ImportGraph:
    # The packages are read from ROOT only: the shared venv's editable install of another
    # checkout would otherwise add its ui/ (a namespace package) to this one.
    sys.path[:] = [str(root), *(p for p in sys.path if "__editable__" not in p)]
    for name in packages:
        spec = importlib.util.find_spec(name)
        found = list(spec.submodule_search_locations or []) if spec else []
        if {Path(p).resolve() for p in found} != {root / name}:
            print(f"package {name} is not (only) {root / name}: found {found}", file=sys.stderr)
            sys.exit(2)
    return grimp.build_graph(*packages, exclude_type_checking_imports=True, cache_dir=None)


def components(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with a cycle in them (2+ modules, or a self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1 or graph.direct_import_exists(importer=module, imported=module):
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(found, key=lambda c: (-len(c), c))


def shortest_cycle(graph: grimp.ImportGraph, component: list[str]) -> tuple[str, ...]:
    """The shortest cycle through the component's first module (a chain from a module of a
    component back to another of it never leaves the component)."""
    start = component[0]
    cycles: list[tuple[str, ...]] = []
    for imported in graph.find_modules_directly_imported_by(start):
        if imported == start:
            cycles.append((start, start))
        elif imported in component:
            chain = graph.find_shortest_chain(imported, start)
            if chain:
                cycles.append((start, *chain))
    return min(cycles, key=lambda c: (len(c), c))


def module_file(root: Path, module: str) -> str:
    path = root.joinpath(*module.split("."))
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return file.relative_to(root).as_posix()


def report(root: Path, graph: grimp.ImportGraph) -> int:
    found = components(graph)
    for number, component in enumerate(found, 1):
        cycle = shortest_cycle(graph, component)
        print(f"cycle {number}: {len(cycle) - 1} imports, in a component of "
              f"{len(component)} modules: {' -> '.join(cycle)}")
        for importer, imported in itertools.pairwise(cycle):
            details = sorted(graph.get_import_details(importer=importer, imported=imported),
                             key=lambda d: d["line_number"])
            lines = ",".join(str(d["line_number"]) for d in details)
            code = details[0]["line_contents"] if details else ""
            print(f"  {importer} -> {imported}  {module_file(root, importer)}:{lines}  {code}")
        others = sorted(set(component) - set(cycle))
        if others:
            print(f"  also in the component: {', '.join(others)}")
    print(f"import cycles: {len(found)}")
    return len(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import cycles among the packages.")
    parser.add_argument("--root", type=Path, default=REPO, help="directory holding the packages")
    parser.add_argument("packages", nargs="*", default=list(PACKAGES))
    args = parser.parse_args(argv)
    root = args.root.resolve()
    return 1 if report(root, build(root, args.packages)) else 0


if __name__ == "__main__":
    sys.exit(main())
