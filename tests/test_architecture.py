"""The package reads top-down: no import cycles, no arrow back up a layer, at most 12 levels.

Over import-time edges and over every runtime import too (those inside functions, which run
later): no cycle, no arrow back up, no two packages that import each other. A first-party import
inside a function is there only to defer a heavy library, and its comment says which.

The graph and the layers are in tools/import_graph.py, which also draws docs/architecture.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tool_modules import load_module

TOOL = Path(__file__).resolve().parents[1] / "tools" / "import_graph.py"


@pytest.fixture(scope="module")
def graph_tool():
    return load_module(TOOL, "import_graph")


def test_every_module_belongs_to_a_layer(graph_tool):
    for module in graph_tool.modules():
        graph_tool.layer_of(module)  # raises, naming the module, when a package has no layer


def test_no_import_cycles(graph_tool):
    assert graph_tool.cycles(graph_tool.edges()) == []


def test_no_arrow_runs_back_up(graph_tool):
    assert graph_tool.upward_arrows(graph_tool.edges()) == []


def test_no_cycle_over_every_runtime_import(graph_tool):
    assert graph_tool.cycles(graph_tool.runtime_edges()) == []


def test_no_runtime_import_runs_back_up(graph_tool):
    assert graph_tool.upward_arrows(graph_tool.runtime_edges()) == []


def test_no_two_packages_import_each_other(graph_tool):
    assert graph_tool.two_way_pairs(graph_tool.runtime_edges()) == []


def test_every_import_inside_a_function_defers_a_heavy_library(graph_tool):
    unexplained = [f"{module}:{line} -> {target}: {problem}"
                   for module, line, target, problem in graph_tool.deferred_imports() if problem]
    assert unexplained == []


def test_at_most_twelve_levels(graph_tool):
    # 8 held while the imports that made a chain deep sat inside functions; counted where they
    # now sit, the tallest chain climbs the layers once: commands, api, distributed, session,
    # data, config.
    levels = graph_tool.levels(graph_tool.edges())
    tallest = max(levels, key=levels.get)
    assert levels[tallest] <= 12, f"{tallest} sits {levels[tallest]} levels up"


def test_the_checker_sees_a_cycle_and_an_upward_arrow(graph_tool):
    made_up = {"lstm_automl.config.a": {"lstm_automl.session.b"},
               "lstm_automl.session.b": {"lstm_automl.config.a"}}
    assert graph_tool.cycles(made_up)
    assert graph_tool.upward_arrows(made_up) == [("lstm_automl.config.a",
                                                  "lstm_automl.session.b")]


def test_the_checker_sees_imports_inside_functions(graph_tool, tmp_path):
    package = tmp_path / "lstm_automl"
    (package / "low").mkdir(parents=True)
    (package / "high").mkdir()
    for folder in (package, package / "low", package / "high"):
        (folder / "__init__.py").write_text("")
    (package / "low" / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from lstm_automl.high import c\n"
        "def f():\n    from lstm_automl.high.b import g\n    return g\n")
    (package / "high" / "b.py").write_text(
        "import matplotlib\nfrom lstm_automl.low.a import f\n"
        "def g():\n    from lstm_automl.low.a import f  # defers matplotlib\n")
    (package / "high" / "c.py").write_text("")
    mods = graph_tool.modules(package)
    full = graph_tool.runtime_edges(mods)
    assert graph_tool.edges(mods)["lstm_automl.low.a"] == set()  # import time: nothing
    assert full["lstm_automl.low.a"] == {"lstm_automl.high.b"}  # TYPE_CHECKING left out
    assert graph_tool.cycles(full)
    assert graph_tool.two_way_pairs(full) == [("high", "low")]
    problems = {(m, t): p for m, _, t, p in graph_tool.deferred_imports(mods)}
    assert "no '# defers" in problems[("lstm_automl.low.a", "lstm_automl.high.b")]
    assert "loads only []" in problems[("lstm_automl.high.b", "lstm_automl.low.a")]


def test_the_drawing_in_the_docs_is_current(graph_tool):
    doc = graph_tool.DOC.read_text()
    assert graph_tool.doc_section(graph_tool.edges()) in doc, (
        "docs/architecture.md is out of date: run `python tools/import_graph.py --write`")
