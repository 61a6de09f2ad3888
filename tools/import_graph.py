"""The package's import graph, as docs/architecture.md draws it and tests/test_architecture.py
checks it: modules, their import-time edges, cycles, levels, and arrows between packages.

Import-time edges are the ``import`` statements at a module's top level (not those inside a
function, which run later and only when needed, nor those under ``if TYPE_CHECKING``).

    python tools/import_graph.py          # print levels and package arrows
    python tools/import_graph.py --write  # and redraw them in docs/architecture.md
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

PACKAGE = "lstm_automl"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

# Packages from the bottom up: a module may import its own layer or any layer below it.
LAYERS: list[set[str]] = [
    {"errors", "redaction", "version", "faults", "interrupts"},
    {"config"},
    {"baselines"},
    {"data", "results"},
    {"model", "sweep_file"},
    {"tracking", "serving", "framework_logs", "console"},
    {"resume", "tuning", "report"},
    {"session"},
    {"distributed"},
    {"api"},
    {"commands"},
    {"cli", "__main__", "__init__"}  # the root: a facade over the api, cli beside it,
]


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _top_level_imports(tree: ast.Module) -> list[ast.stmt]:
    statements: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            statements.append(node)
        elif isinstance(node, ast.Try):  # optional imports
            statements.extend(n for n in node.body if isinstance(n, (ast.Import, ast.ImportFrom)))
    return statements


def edges(mods: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module → the package modules it imports when it is imported."""
    mods = mods or modules()

    def owner(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        for node in _top_level_imports(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods
                           else node.module for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target.startswith(PACKAGE) and (found := owner(target)) and found != name:
                    graph[name].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every back edge found by a depth-first walk, as the cycle it closes."""
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                walk(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node, [])
    return found


def levels(graph: dict[str, set[str]]) -> dict[str, int]:
    """1 for a module that imports nothing of ours, else one more than its highest import."""

    @cache
    def level(node: str) -> int:
        return 1 + max((level(n) for n in graph[node]), default=0)

    return {node: level(node) for node in graph}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of(module: str) -> int:
    package = package_of(module)
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    raise KeyError(f"{module}: package {package!r} is in no layer of tools/import_graph.py")


def upward_arrows(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports from a lower layer into a higher one (none allowed)."""
    return [(a, b) for a, targets in sorted(graph.items()) for b in sorted(targets)
            if layer_of(b) > layer_of(a)]


def drawing(graph: dict[str, set[str]]) -> str:
    """Modules by level, top (imported by nobody below) first, short names."""
    by_level: dict[int, list[str]] = {}
    for module, level in levels(graph).items():
        by_level.setdefault(level, []).append(module.removeprefix(f"{PACKAGE}."))
    lines = []
    for level in sorted(by_level, reverse=True):
        lines.append(f"{level}: " + ", ".join(sorted(by_level[level])))
    return "\n".join(lines)


def package_arrows(graph: dict[str, set[str]]) -> str:
    arrows: dict[str, set[str]] = {}
    for a, targets in graph.items():
        for b in targets:
            if package_of(a) != package_of(b):
                arrows.setdefault(package_of(a), set()).add(package_of(b))
    order = [p for layer in reversed(LAYERS) for p in sorted(layer)]
    return "\n".join(f"{p} -> {', '.join(sorted(arrows[p], key=order.index))}"
                     for p in order if p in arrows)


DOC = ROOT.parent / "docs" / "architecture.md"
MARKERS = ("<!-- import-graph -->", "<!-- /import-graph -->")


def doc_section(graph: dict[str, set[str]]) -> str:
    """What sits between the markers of docs/architecture.md."""
    return (f"{MARKERS[0]}\n```\n{drawing(graph)}\n```\n\n```\n{package_arrows(graph)}\n```\n"
            f"{MARKERS[1]}")


def write_doc(graph: dict[str, set[str]]) -> None:
    text = DOC.read_text()
    start, end = text.index(MARKERS[0]), text.index(MARKERS[1]) + len(MARKERS[1])
    DOC.write_text(text[:start] + doc_section(graph) + text[end:])


if __name__ == "__main__":
    graph = edges()
    print(drawing(graph))
    print()
    print(package_arrows(graph))
    if "--write" in sys.argv:
        write_doc(graph)
    problems = cycles(graph) or upward_arrows(graph)
    sys.exit(1 if problems else 0)
