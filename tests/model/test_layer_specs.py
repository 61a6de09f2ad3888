"""Each layer its own spec: ``units: {per_layer: [{int: [64, 128], step: 32}, {int: [32, 64],
step: 16}]}`` declares ``units_0`` and ``units_1`` (the names ``per_layer: true`` uses), each
with its own range, and the built model has those widths. Refusals: one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.schema import LayerSpecs, SweepConfig
from lstm_automl.config.space_summary import space_size, summary_rows
from lstm_automl.model.space import declare_space
from lstm_automl.sweep_file.json_schema import sweep_schema

TWO_RANGES = {"per_layer": [{"int": [64, 128], "step": 32}, {"int": [32, 64], "step": 16}]}


def specs(**search: object) -> dict:
    return SweepConfig.model_validate({"name": "r", "data": {"source": "builtin:airline"},
                                       "search": search}).search.specs()


def test_each_layer_declares_its_own_range_under_the_per_layer_names():
    parsed = specs(layers=2, units=TWO_RANGES)
    assert isinstance(parsed["units"], LayerSpecs)
    hp = kt.HyperParameters()
    values = declare_space(hp, parsed)
    declared = {p.name: p for p in hp.space}
    assert "units" not in declared
    assert (declared["units_0"].min_value, declared["units_0"].max_value,
            declared["units_0"].step) == (64, 128, 32)
    assert (declared["units_1"].min_value, declared["units_1"].max_value,
            declared["units_1"].step) == (32, 64, 16)
    assert values["units"] == [64, 32]  # keras-tuner's default: each range's low end


def test_a_searched_layer_count_takes_a_spec_per_possible_layer():
    search = {"layers": {"int": [1, 2]}, "units": {"per_layer": [{"choice": [8, 16]}, 4]}}
    hp = kt.HyperParameters()
    assert declare_space(hp, specs(**search))["units"] == [8]
    assert hp.is_active(next(p for p in hp.space if p.name == "units_0"))
    hp.values.update(layers=2, units_0=16, units_1=4)  # as an oracle sets them
    assert declare_space(hp, specs(**search))["units"] == [16, 4]
    assert space_size(specs(**search)) == 2 + 2  # one layer: 2 widths; two: 2 x 1


@pytest.mark.usefixtures("keras_session")
@pytest.mark.backend_contract
def test_the_model_has_each_layers_width_and_rate():
    from lstm_automl.data.base import ModelShape
    from lstm_automl.model.hypermodel import build_model

    hp = kt.HyperParameters()
    parsed = specs(layers=2, units=TWO_RANGES,
                   layer_dropout={"per_layer": [{"float": [0.1, 0.4]}, 0.0]})
    declare_space(hp, parsed)
    hp.values.update(units_0=128, units_1=48, layer_dropout_0=0.25)
    model = build_model(declare_space(hp, parsed), ModelShape(10, 1, 1))
    assert [model.get_layer(f"lstm_{i}").cell.units for i in range(2)] == [128, 48]
    assert model.get_layer("layer_dropout_0").rate == 0.25
    assert not any(layer.name == "layer_dropout_1" for layer in model.layers)  # rate 0: none


def test_summary_and_schema_show_the_specs():
    rows = dict(summary_rows(specs(layers=2, units=TWO_RANGES)))
    assert rows["units"] == "layer 0: int 64..128 step 32; layer 1: int 32..64 step 16"
    assert space_size(specs(layers=2, units=TWO_RANGES)) == 3 * 3
    units = sweep_schema()["$defs"]["SearchConfig"]["properties"]["units"]
    assert any(option.get("required") == ["per_layer"] for option in units["anyOf"])


@pytest.mark.parametrize("search, problem", [
    ("{layers: 3, units: {per_layer: [8, 16]}}",
     "search.units.per_layer: 2 specs for at most 3 layers (search.layers)"),
    ("{layers: {choice: [1, 2]}, units: {per_layer: [8, 16, 32]}}",
     "search.units.per_layer: 3 specs for at most 2 layers"),
    ("{learning_rate: {per_layer: [0.1, 0.01]}}",
     "search.learning_rate.per_layer: only cell, units"),
    ("{layers: 2, units: {per_layer: [{int: [8, 16], per_layer: true}, 8]}}",
     "search.units.per_layer.0.per_layer: an entry is already one layer's spec"),
    ("{layers: 2, units: {per_layer: [8, 0]}}", "search.units.per_layer.1: 0 is out of range"),
    ("{layers: 2, units: {per_layer: [{int: [8, 16], stap: 2}, 4]}}",
     "search.units.per_layer.0.stap: unknown key; did you mean 'step'?"),
    ("{layers: 2, units: {per_layer: [8, 4], step: 2}}",
     "search.units.step: unknown key; allowed: per_layer"),
    ("{layers: 2, units: {per_layer: [8, 16]}}\ntuner: {start_with: [{units_1: 8}]}",
     "tuner.start_with"),
    # {first, ratio}: the member's own form is named once, not as pydantic's union tag too
    ("{layers: 2, units: {first: {int: [8, x]}, ratio: 0.5}}",
     "search.units.first.int.1: Input should be a valid integer (got 'x')"),
    ("{layers: 2, units: {first: 8, ratio: {float: [0.5, a]}}}", "search.units.ratio.float.1: "),
])
def test_bad_layer_specs_get_one_line(search: str, problem: str, isolated_workdir: Path,
                                      capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, f"name: r\ndata: {{source: builtin:airline}}\n"
                                         f"search: {search}\n")
    code = main(["validate", "--no-data", str(path)])
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines()
             if line.strip() and line != "error:"]
    assert code == 2 and len(lines) == 1 and problem in lines[0], lines
    assert "sweep.yaml" in lines[0]
    assert not list(isolated_workdir.glob("mlflow*")) and not (isolated_workdir / "runs").exists()
