"""Widths that depend on each other: ``units: {first: ..., ratio: ...}``."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import pytest

from lstm_automl.config.params import derived_widths
from lstm_automl.config.schema import SweepConfig
from lstm_automl.config.space_summary import space_size, summary_rows
from lstm_automl.errors import ConfigError
from lstm_automl.model.space import declare_space
from lstm_automl.sweep_file.json_schema import sweep_schema
from lstm_automl.sweep_file.loader import load_sweep
from tests.conftest import write_sweep


def specs(**search: object) -> dict:
    return SweepConfig.model_validate({"name": "r", "data": {"source": "builtin:airline"},
                                       "search": search}).search.specs()


def test_widths_follow_the_first_layer():
    assert derived_widths(64, 0.5, 3) == [64, 32, 16]
    assert derived_widths(3, 0.25, 3) == [3, 1, 1]  # never below one unit
    assert derived_widths(16, 2.0, 2) == [16, 32]


def test_only_first_and_ratio_are_hyperparameters():
    hp = kt.HyperParameters()
    values = declare_space(hp, specs(layers=3, units={"first": {"choice": [64, 128]},
                                                      "ratio": {"choice": [0.5, 1]}}))
    names = {p.name for p in hp.space}
    assert {"units", "units_ratio"} <= names and not any(n.startswith("units_") and n !=
                                                         "units_ratio" for n in names)
    assert values["units"] == [64, 32, 16]  # defaults: the first of each choice
    hp.values.update({"units": 128, "units_ratio": 1.0})
    assert declare_space(hp, specs(layers=3, units={"first": {"choice": [64, 128]},
                                                    "ratio": {"choice": [0.5, 1]}})
                         )["units"] == [128, 128, 128]


def test_dense_widths_exist_only_with_dense_layers():
    hp = kt.HyperParameters()
    search = {"dense_layers": {"choice": [0, 2]}, "dense_units": {"first": 32, "ratio": 0.5}}
    assert declare_space(hp, specs(**search))["dense_units"] == []
    hp.values.update(dense_layers=2, dense_units=32, dense_units_ratio=0.5,  # as an oracle sets
                     dense_activation="relu", dense_dropout=0.0)
    assert declare_space(hp, specs(**search))["dense_units"] == [32, 16]
    assert declare_space(kt.HyperParameters(), specs(dense_layers=0, dense_units={
        "first": 32}))["dense_units"] == []


@pytest.mark.usefixtures("keras_session")
def test_the_model_has_the_derived_widths():
    from lstm_automl.data.base import ModelShape
    from lstm_automl.model.hypermodel import build_model

    values = declare_space(kt.HyperParameters(), specs(
        layers=3, units={"first": 16, "ratio": 0.5}, dense_layers=2,
        dense_units={"first": 8, "ratio": 0.5}))
    model = build_model(values, ModelShape(10, 1, 1))
    widths = [model.get_layer(f"lstm_{i}").cell.units for i in range(3)]
    assert widths == [16, 8, 4]
    assert [model.get_layer(f"dense_{i}").units for i in range(2)] == [8, 4]


def test_summary_size_and_schema():
    search = specs(layers=2, units={"first": {"choice": [64, 128]}, "ratio": {"choice": [0.5, 1]}})
    assert space_size(search) == 4
    assert ("units", "first layer choice of 64, 128; each next layer x choice of 0.5, 1") in \
        summary_rows(search)
    units = sweep_schema()["$defs"]["SearchConfig"]["properties"]["units"]
    assert any("first" in option.get("properties", {}) for option in units["anyOf"])


@pytest.mark.parametrize("search, problem", [
    ("{dropout: {first: 0.1}}", "search.dropout.first: only units, dense_units take"),
    ("{units: {first: {choice: [8, 16], per_layer: true}}}",
     "search.units.first.per_layer: the widths follow the ratio"),
    ("{units: {first: 8, ratio: 0}}", "search.units.ratio: 0.0 is out of range"),
    ("{units: {first: 0}}", "search.units.first: 0 is out of range"),
    ("{units: {ratio: 0.5}}", "search.units.first: required key is missing"),
])
def test_bad_ratio_specs_get_one_line(search: str, problem: str, isolated_workdir: Path):
    path = write_sweep(isolated_workdir, f"name: r\ndata: {{source: builtin:airline}}\n"
                                         f"search: {search}\n")
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems
