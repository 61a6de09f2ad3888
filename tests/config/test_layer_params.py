"""The layer and optimizer options of issue 12 (dropouts, normalisation, initialisers, l2,
momentum, deeper stacks): each is validated, summarised, in the JSON Schema and declared to
keras-tuner from the one table, so MLflow (which logs the tuner's values) and the leaderboard
see it too. Light except the keras-tuner checks; the models are built in test_hypermodel.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.params import SEARCH_PARAMS

DATA = "data: {source: builtin:airline}\n"


def _validate(folder: Path, search: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = write_sweep(folder, "name: a\n" + DATA + "search:\n" + search)
    code = main(["validate", "--no-data", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# (searched spec, what validate's summary prints, an out-of-domain fixed value)
NEW_KEYS = {
    "layer_dropout": ("{float: [0.0, 0.5], per_layer: true}", "float 0..0.5, per layer", 1.0),
    "stack_dropout": ("{choice: [0.0, 0.2]}", "choice of 0, 0.2", -0.1),
    "dense_dropout": ("{float: [0.1, 0.3]}", "float 0.1..0.3", 1.5),
    "kernel_initializer": ("{choice: [default, he_normal]}", "choice of default, he_normal",
                           "xavier"),
    "momentum": ("{float: [0.0, 0.95]}", "float 0..0.95", 1.0),
    "l2": ("{float: [1.0e-6, 1.0e-3], log: true}", "float 1e-06..0.001, log", -1.0),
    "norm": ("{choice: [none, batch, layer]}", "choice of none, batch, layer", "group"),
}


@pytest.mark.parametrize("name", sorted(NEW_KEYS))
def test_validate_summarises_and_refuses_the_new_keys(name: str, isolated_workdir: Path,
                                                      capsys: pytest.CaptureFixture[str]):
    spec, summary, bad = NEW_KEYS[name]
    extra = "  dense_layers: {choice: [0, 1]}\n" if SEARCH_PARAMS[name].active_when else ""
    extra += "  optimizer: {choice: [adam, sgd]}\n" if name == "momentum" else ""
    code, out = _validate(isolated_workdir, f"  {name}: {spec}\n" + extra, capsys)
    assert code == 0, out
    assert name in out and summary in out, out
    code, out = _validate(isolated_workdir, f"  {name}: {bad}\n", capsys)
    assert code == 2 and f"search.{name}" in out, out


@pytest.mark.parametrize("name", sorted(NEW_KEYS))
def test_the_new_keys_are_in_the_json_schema(name: str):
    from lstm_automl.sweep_file.json_schema import sweep_schema

    search = sweep_schema()["$defs"]["SearchConfig"]["properties"]
    assert name in search
    assert search[name]["default"] == SEARCH_PARAMS[name].default


def test_new_keys_come_last_so_older_searches_draw_the_same_values():
    names = list(SEARCH_PARAMS)
    assert names.index("multi_step") < min(names.index(n) for n in NEW_KEYS)


def test_the_new_keys_reach_keras_tuner_and_so_mlflow(isolated_workdir: Path):
    """MLflow logs the trial's ``hp.values``: every new key is declared there."""
    import keras_tuner as kt

    from lstm_automl.config.schema import SearchConfig
    from lstm_automl.model.space import declare_space

    specs = SearchConfig.model_validate({
        "layers": 2, "layer_dropout": {"choice": [0.1, 0.2], "per_layer": True},
        "stack_dropout": 0.3,
    }).specs()
    hp = kt.HyperParameters()
    values = declare_space(hp, specs)
    assert {"layer_dropout_0", "layer_dropout_1", "stack_dropout"} <= set(hp.values)
    assert len(values["layer_dropout"]) == 2
    assert values["stack_dropout"] == 0.3


def test_dense_dropout_without_dense_layers_is_noted(isolated_workdir: Path,
                                                     capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, "  dense_dropout: {choice: [0.1, 0.2]}\n", capsys)
    assert code == 0
    assert "search.dense_dropout: has no effect while dense_layers is 0" in out


def test_dense_dropout_per_dense_layer_exists_only_with_its_layer():
    import keras_tuner as kt

    from lstm_automl.config.schema import SearchConfig
    from lstm_automl.model.space import declare_space

    specs = SearchConfig.model_validate({
        "dense_layers": {"choice": [0, 2]},
        "dense_dropout": {"choice": [0.1, 0.2], "per_layer": True}}).specs()
    hp = kt.HyperParameters()
    values = declare_space(hp, specs)
    assert len(values["dense_dropout"]) == values["dense_layers"]


def test_validate_takes_the_new_activations(isolated_workdir: Path,
                                            capsys: pytest.CaptureFixture[str]):
    search = "  dense_layers: 1\n  dense_activation: {choice: [leaky_relu, silu, softplus, mish]}\n"
    code, out = _validate(isolated_workdir, search, capsys)
    assert code == 0 and "choice of leaky_relu, silu, softplus, mish" in out, out
    code, out = _validate(isolated_workdir, "  dense_activation: hard_tanh\n", capsys)
    assert code == 2 and "search.dense_activation" in out, out


def test_momentum_is_declared_only_for_sgd_trials():
    import keras_tuner as kt

    from lstm_automl.config.schema import SearchConfig
    from lstm_automl.config.space_summary import space_size
    from lstm_automl.model.space import declare_space

    specs = SearchConfig.model_validate({
        "optimizer": {"choice": ["adam", "sgd"]},
        "momentum": {"choice": [0.5, 0.9]}}).specs()
    hp = kt.HyperParameters()
    values = declare_space(hp, specs)
    assert hp.is_active("momentum") == (values["optimizer"] == "sgd")
    assert (values["momentum"] is None) == (values["optimizer"] != "sgd")
    assert space_size(specs) == 3  # adam, sgd x 2 momenta


def test_momentum_without_sgd_is_noted(isolated_workdir: Path,
                                       capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, "  momentum: {choice: [0.5, 0.9]}\n", capsys)
    assert code == 0
    assert "search.momentum: has no effect while optimizer is not sgd" in out


def test_depth_up_to_16(isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    search = ("  layers: {int: [1, 16]}\n  dense_layers: {choice: [0, 16]}\n"
              "  units: {choice: [2, 4], per_layer: true}\n")
    code, out = _validate(isolated_workdir, search, capsys)
    assert code == 0, out
    for name in ("layers", "dense_layers"):
        code, out = _validate(isolated_workdir, f"  {name}: 17\n", capsys)
        assert code == 2 and f"search.{name}" in out and "<= 16" in out, out


def test_per_layer_values_print_in_layer_order():
    from lstm_automl.console import _value_of

    values = {f"units_{i}": i for i in range(12)}
    assert _value_of(values, "units") == "/".join(str(i) for i in range(12))
