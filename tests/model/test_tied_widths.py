"""Widths tied to another width: ``dense_units: {same_as: units}``, derived, never sampled."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import pytest

from lstm_automl.cli import main
from lstm_automl.config.schema import SweepConfig
from lstm_automl.config.space_summary import space_size, summary_rows
from lstm_automl.model.space import declare_space
from tests.conftest import write_sweep


def specs(**search: object) -> dict:
    return SweepConfig.model_validate({"name": "t", "data": {"source": "builtin:airline"},
                                       "search": search}).search.specs()


def test_a_tied_width_declares_nothing_and_follows_the_last_layer():
    space = specs(layers=2, units={"choice": [8, 16], "per_layer": True},
                  dense_layers=2, dense_units={"same_as": "units"})
    hp = kt.HyperParameters()
    assert declare_space(hp, space)["dense_units"] == [8, 8]
    assert not any(p.name.startswith("dense_units") for p in hp.space)
    hp.values["units_1"] = 16  # the last recurrent layer's width, whatever the first one's
    assert declare_space(hp, space)["dense_units"] == [16, 16]
    ratio = specs(layers=3, units={"first": 32, "ratio": 0.5}, conv_front=True,
                  conv_filters={"same_as": "units"})
    assert declare_space(kt.HyperParameters(), ratio)["conv_filters"] == 8
    off = specs(dense_layers={"choice": [0, 1]}, dense_units={"same_as": "units"})
    assert declare_space(kt.HyperParameters(), off)["dense_units"] == []  # no dense layer


@pytest.mark.usefixtures("keras_session")
@pytest.mark.backend_contract
def test_the_model_has_the_tied_widths():
    from lstm_automl.data.base import ModelShape
    from lstm_automl.model.hypermodel import build_model

    values = declare_space(kt.HyperParameters(), specs(
        layers=2, units={"first": 16, "ratio": 0.5}, dense_layers=2,
        dense_units={"same_as": "units"}, conv_front=True, conv_filters={"same_as": "units"}))
    model = build_model(values, ModelShape(10, 1, 1))
    assert [model.get_layer(f"lstm_{i}").cell.units for i in range(2)] == [16, 8]
    assert [model.get_layer(f"dense_{i}").units for i in range(2)] == [8, 8]
    assert model.get_layer("conv_front").filters == 8


def test_summary_size_and_schema():
    import jsonschema

    from lstm_automl.sweep_file.json_schema import sweep_schema

    space = specs(units={"choice": [8, 16]}, dense_layers=1, dense_units={"same_as": "units"})
    assert space_size(space) == 2  # the tie adds no choice of its own
    assert ("dense_units", "same as units (the last recurrent layer's), derived") in \
        summary_rows(space)
    schema = sweep_schema()
    document = {"name": "t", "data": {"source": "builtin:airline"},
                "search": {"dense_units": {"same_as": "units"}}}
    jsonschema.validate(document, schema)
    for bad in ({"dense_units": {"same_as": "dropout"}}, {"units": {"same_as": "units"}},
                {"dropout": {"same_as": "units"}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**document, "search": bad}, schema)


HEAD = "name: t\ndata: {source: builtin:airline}\n"


@pytest.mark.parametrize("search, problem", [
    ("{dense_units: {same_as: unitz}}",
     "search.dense_units.same_as: 'unitz' is unknown; expected one of: units, conv_filters"),
    ("{dense_units: {same_as: dropout}}", "search.dense_units.same_as: 'dropout' is not a width"),
    ("{dropout: {same_as: units}}", "search.dropout.same_as: only the widths units, dense_units, "
                                    "conv_filters take"),
    ("{units: {same_as: units}}", "search.units.same_as: units cannot follow itself"),
    ("{dense_layers: 1, units: {same_as: dense_units}, dense_units: {same_as: units}}",
     "search.units.same_as: the widths are tied in a cycle (units -> dense_units -> units)"),
    ("{dense_layers: {choice: [0, 1]}, units: {same_as: dense_units}}",
     "search.units.same_as: dense_units does not exist in trials with dense_layers 0"),
    ("{conv_front: {choice: [false, true]}, dense_layers: 1, dense_units: {same_as: "
     "conv_filters}}", "search.dense_units.same_as: conv_filters does not exist in trials with "
                       "conv_front false"),
])
def test_bad_ties_are_one_line_and_exit_2(search: str, problem: str, isolated_workdir: Path,
                                          capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, HEAD + f"search: {search}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and problem in err[0] and str(path) in err[0], err


def test_start_with_cannot_set_a_tied_width(isolated_workdir: Path,
                                            capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, HEAD + "search: {dense_layers: 1, units: {choice: [4, 8]}"
                       ", dense_units: {same_as: units}}\n"
                       "tuner: {start_with: [{units: 4, dense_units: 4}]}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "tuner.start_with[0].dense_units: search.dense_units follows units (same_as)" in err
