"""The package reads top-down: no import cycles, no arrow back up a layer, at most 8 levels.

The graph and the layers are in tools/import_graph.py, which also draws docs/architecture.md.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "import_graph.py"


@pytest.fixture(scope="module")
def graph_tool():
    spec = importlib.util.spec_from_file_location("import_graph", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return module


def test_every_module_belongs_to_a_layer(graph_tool):
    for module in graph_tool.modules():
        graph_tool.layer_of(module)  # raises, naming the module, when a package has no layer


def test_no_import_cycles(graph_tool):
    assert graph_tool.cycles(graph_tool.edges()) == []


def test_no_arrow_runs_back_up(graph_tool):
    assert graph_tool.upward_arrows(graph_tool.edges()) == []


def test_at_most_eight_levels(graph_tool):
    levels = graph_tool.levels(graph_tool.edges())
    tallest = max(levels, key=levels.get)
    assert levels[tallest] <= 8, f"{tallest} sits {levels[tallest]} levels up"


def test_the_checker_sees_a_cycle_and_an_upward_arrow(graph_tool):
    made_up = {"lstm_automl.config.a": {"lstm_automl.session.b"},
               "lstm_automl.session.b": {"lstm_automl.config.a"}}
    assert graph_tool.cycles(made_up)
    assert graph_tool.upward_arrows(made_up) == [("lstm_automl.config.a",
                                                  "lstm_automl.session.b")]


def test_the_drawing_in_the_docs_is_current(graph_tool):
    doc = graph_tool.DOC.read_text()
    assert graph_tool.doc_section(graph_tool.edges()) in doc, (
        "docs/architecture.md is out of date: run `python tools/import_graph.py --write`")
