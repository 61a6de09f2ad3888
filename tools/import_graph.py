"""The package's import graph, as docs/architecture.md draws it and tests/test_architecture.py
checks it: modules, their import-time and runtime edges, cycles, levels, arrows between packages.

Import-time edges are the ``import`` statements at a module's top level. Runtime edges add those
inside functions, which run later: they may not close a cycle or make two packages import each
other either. Only ``if TYPE_CHECKING:`` blocks count for neither. A first-party import inside a
function is there to defer a heavy third-party library (``HEAVY``) for light commands, and says
which in a comment on its line or the line above, ``# defers keras``; ``deferred_imports``
checks that the target really imports that library when the importer does not.

    python tools/import_graph.py          # print levels and package arrows
    python tools/import_graph.py --write  # and redraw them in docs/architecture.md
"""

from __future__ import annotations

import ast
import re
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


# Third-party libraries slow enough to import that light commands must not pay for them.
HEAVY = ("tensorflow", "keras", "keras_tuner", "jax", "torch", "mlflow", "statsmodels", "sklearn",
         "scipy", "matplotlib", "pandas", "pyarrow", "pydantic", "numpy", "ray")

Import = ast.Import | ast.ImportFrom


def _type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, in_function: bool = False) -> list[tuple[Import, bool]]:
    """Every import statement with whether it sits inside a function; ``if TYPE_CHECKING:``
    bodies left out (their ``else`` kept)."""
    found: list[tuple[Import, bool]] = []
    for node in ast.iter_child_nodes(tree):
        if _type_checking(node):
            for child in node.orelse:  # type: ignore[attr-defined]
                found.extend(_imports(ast.Module(body=[child], type_ignores=[]), in_function))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append((node, in_function))
        deeper = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                  ast.Lambda))
        found.extend(_imports(node, deeper))
    return found


def _top_level_imports(tree: ast.Module) -> list[ast.stmt]:
    return [node for node, in_function in _imports(tree) if not in_function]


def _targets(node: Import, mods: dict[str, Path]) -> list[str]:
    """The package modules an import statement loads (a ``from`` import of a submodule names
    it, of anything else the module it is taken from)."""
    if isinstance(node, ast.ImportFrom):
        if not node.module or node.level:
            return []
        names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods
                 else node.module for a in node.names]
    else:
        names = [a.name for a in node.names]
    found = []
    for name in names:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        if name.startswith(PACKAGE) and name not in found:
            found.append(name)
    return found


def _third_party(node: Import) -> set[str]:
    if isinstance(node, ast.ImportFrom):
        return {node.module.split(".")[0]} if node.module and not node.level else set()
    return {a.name.split(".")[0] for a in node.names}


def edges(mods: dict[str, Path] | None = None, runtime: bool = False) -> dict[str, set[str]]:
    """Module → the package modules it imports when it is imported; with ``runtime`` also those
    its functions import when they run."""
    mods = mods or modules()
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        tree = ast.parse(path.read_text())
        for node, in_function in _imports(tree):
            if runtime or not in_function:
                graph[name].update(t for t in _targets(node, mods) if t != name)
        if runtime:
            graph[name].update(t for t in _command_table(tree) if t in mods)
    return graph


def _command_table(tree: ast.Module) -> list[str]:
    """The modules a ``COMMANDS = {"name": "module:function"}`` table (cli.py) imports when a
    command runs: runtime imports too, though no import statement names them."""
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None and any(
                isinstance(t, ast.Name) and t.id == "COMMANDS"
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])):
            table = ast.literal_eval(node.value)
            return [f"{PACKAGE}.commands.{ref.split(':')[0]}" for ref in table.values()]
    return []


def runtime_edges(mods: dict[str, Path] | None = None) -> dict[str, set[str]]:
    return edges(mods, runtime=True)


def heavy_at_import(mods: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module → the ``HEAVY`` libraries importing it loads (its own top-level imports, those of
    the package modules it imports, and of the packages it sits in)."""
    mods = mods or modules()
    graph = edges(mods)
    own = {name: {lib for node in _top_level_imports(ast.parse(path.read_text()))
                  for lib in _third_party(node) if lib in HEAVY}
           for name, path in mods.items()}
    for name in mods:  # importing a.b.c runs a/__init__ and a/b/__init__ first
        parts = name.split(".")
        graph[name] |= {".".join(parts[:i]) for i in range(1, len(parts))} & mods.keys() - {name}
    found: dict[str, set[str]] = {}
    for name in mods:
        seen, todo, libs = {name}, [name], set()
        while todo:
            current = todo.pop()
            libs |= own[current]
            todo.extend(n for n in graph[current] if n not in seen)
            seen.update(graph[current])
        found[name] = libs
    return found


def deferred_imports(mods: dict[str, Path] | None = None) -> list[tuple[str, int, str, str]]:
    """Every first-party import inside a function, as (module, line, target, problem); the
    problem is empty where its comment names a ``HEAVY`` library that importing the target
    loads and importing the module does not."""
    mods = mods or modules()
    heavy = heavy_at_import(mods)
    found = []
    for name, path in mods.items():
        lines = path.read_text().splitlines()
        for node, in_function in _imports(ast.parse("\n".join(lines))):
            if not in_function:
                continue
            first = node.lineno - 1
            if first and lines[first - 1].strip().startswith("#"):  # a comment line above it
                first -= 1
            text = " ".join(lines[first:node.end_lineno or node.lineno])
            named = set(re.findall(r"#.*?\bdefers ([\w, ]+)", text)[0].replace(",", " ").split()
                        ) if "defers " in text else set()
            for target in _targets(node, mods):
                gained = heavy[target] - heavy[name]
                if not named:
                    problem = f"no '# defers <library>' comment (it would defer {sorted(gained)})"
                elif not named & gained:
                    problem = (f"defers {sorted(named)} but importing it loads only "
                               f"{sorted(gained)} more")
                else:
                    problem = ""
                found.append((name, node.lineno, target, problem))
    return found


def two_way_pairs(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Packages that import each other, in either order of their modules."""
    arrows = {(package_of(a), package_of(b)) for a, targets in graph.items() for b in targets
              if package_of(a) != package_of(b)}
    return sorted((a, b) for a, b in arrows if a < b and (b, a) in arrows)


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
    full = runtime_edges()
    deferred = deferred_imports()
    unexplained = [d for d in deferred if d[3]]
    print(f"\nruntime imports: {len(cycles(full))} cycles, {len(two_way_pairs(full))} two-way "
          f"package pairs; {len(deferred)} first-party imports inside functions, "
          f"{len(unexplained)} without a reason")
    for module, line, target, problem in unexplained:
        print(f"  {module}:{line} -> {target}: {problem}")
    problems = (cycles(graph) or upward_arrows(graph) or cycles(full) or upward_arrows(full)
                or two_way_pairs(full) or unexplained)
    sys.exit(1 if problems else 0)
