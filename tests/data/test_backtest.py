"""Rolling-origin backtesting: fold boundaries, no leakage, config errors, the objective."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data import prepare_forecast
from lstm_automl.data.scaling import Scaler
from lstm_automl.errors import ConfigError, DataError
from lstm_automl.sweep_file.loader import load_sweep


def _series_csv(folder: Path, values: np.ndarray) -> Path:
    lines = ["t,y"] + [f"{i},{v:.6f}" for i, v in enumerate(values)]
    path = folder / "s.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _data(folder: Path, values: np.ndarray, **fields: object):
    _series_csv(folder, values)
    config = ForecastDataConfig.model_validate({
        "source": "s.csv", "target": "y", "time_column": "t", "lookback": 3,
        "split": {"validation": 5, "test": 5}, **fields})
    return prepare_forecast(config, folder)


def test_fold_boundaries_are_exact(tmp_path):
    # 40 rows: train 0..29, validation 30..34, test 35..39; origins step 4 back from 30.
    data = _data(tmp_path, 10 + np.arange(40.0), backtest={"folds": 3, "step": 4})
    assert [f.train_rows for f in data.folds] == [(0, 22), (0, 26), (0, 30)]
    assert [f.validation_rows for f in data.folds] == [(22, 27), (26, 31), (30, 35)]
    first = data.folds[0]
    np.testing.assert_array_equal(first.train.index, np.arange(3, 22))  # targets before origin
    np.testing.assert_array_equal(first.validation.index, np.arange(22, 27))
    for fold in data.folds:
        assert fold.train.index.max() < fold.origin
        assert fold.validation.index.max() < 35  # no fold ever reaches the test rows
    last = data.folds[-1]  # the ordinary split, the very same windows
    assert last.train is data.splits["train"] and last.validation is data.splits["validation"]


def test_default_step_is_the_validation_length(tmp_path):
    data = _data(tmp_path, 10 + np.arange(40.0), backtest={"folds": 4})
    assert [f.origin for f in data.folds] == [15, 20, 25, 30]
    assert data.summary()["backtest"] == "4 folds, step 5"
    assert data.backtest_lines()[0] == ("backtest fold 1: train 0..14 (12 windows), "
                                        "validation 15..19 (5 windows)")


def test_no_fold_learns_from_rows_after_its_origin(tmp_path):
    rng = np.random.default_rng(0)
    values = 50 + rng.normal(size=40).cumsum()
    fields = {"backtest": {"folds": 3, "step": 4}, "transform": "diff", "scaling": "standard"}
    data = _data(tmp_path, values, **fields)
    first = data.folds[0]
    # scaled on the fold's training rows only (diff loses row 0)
    expected = Scaler.fit("standard", np.diff(values[:first.origin])[:, None])
    np.testing.assert_allclose(first.target_scaler.offset, expected.offset)
    np.testing.assert_allclose(first.target_scaler.scale, expected.scale)
    # wildly different future: the fold's training windows and scalers do not move
    future = values.copy()
    future[first.origin:] = future[first.origin:] * 100 + 1000
    changed = _data(tmp_path, future, **fields).folds[0]
    np.testing.assert_array_equal(first.train.x, changed.train.x)
    np.testing.assert_array_equal(first.train.y, changed.train.y)
    np.testing.assert_array_equal(first.target_scaler.scale, changed.target_scaler.scale)
    # ...while the ordinary split, whose training rows include them, does
    assert not np.array_equal(data.folds[-1].train.y, _data(tmp_path, future, **fields)
                              .folds[-1].train.y)


def test_too_many_folds_say_how_many_fit(tmp_path):
    with pytest.raises(DataError, match=r"data\.backtest: 7 folds with step 5 .* at most 6 "
                                        r"folds fit with step 5"):
        _data(tmp_path, 10 + np.arange(40.0), backtest={"folds": 7})


def test_unset_backtest_leaves_the_config_dump_unchanged():
    # The resume identity hashes this dump: older sweep folders must still resume.
    dumped = ForecastDataConfig(source="builtin:airline").model_dump(mode="json")
    assert "backtest" not in dumped
    assert ForecastDataConfig(source="builtin:airline", backtest={"folds": 2}).model_dump(
        mode="json")["backtest"] == {"folds": 2, "step": None}


BASE = """
name: bt
data: {{source: builtin:airline, split: {{validation: 12}}{backtest}}}
tuner: {{objective: {objective}}}
"""


@pytest.mark.parametrize("backtest, objective, message", [
    ("", "backtest_val_rmse",
     "tuner.objective: 'backtest_val_rmse' needs rolling-origin backtesting: add data.backtest"),
    (", backtest: {folds: 1}", "val_loss",
     "data.backtest.folds: Input should be greater than or equal to 2"),
    (", backtest: {folds: 3, stepp: 2}", "val_loss",
     "data.backtest.stepp: unknown key; did you mean 'step'? allowed: folds, step"),
    (", backtest: {folds: 3, step: 0}", "val_loss",
     "data.backtest.step: Input should be greater than or equal to 1"),
    (", backtest: {folds: 2}", "backtest_val_accuracy",
     "tuner.objective: 'backtest_val_accuracy' is not a metric a forecast model reports; "
     "allowed: backtest_val_loss, backtest_val_mae, backtest_val_rmse"),
])
def test_bad_backtest_configs_name_the_key(backtest, objective, message, isolated_workdir):
    path = write_sweep(isolated_workdir, BASE.format(backtest=backtest, objective=objective))
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")


def test_backtest_is_refused_for_classification(isolated_workdir):
    text = ("name: c\ndata: {source: builtin:GunPoint, task: classify, backtest: {folds: 2}}\n"
            "tuner: {objective: backtest_val_loss}\n")
    with pytest.raises(ConfigError) as caught:
        load_sweep(write_sweep(isolated_workdir, text))
    lines = caught.value.problems
    assert "data.backtest: applies only to task: forecast" in lines
    assert any(line.startswith("tuner.objective: 'backtest_val_loss': backtesting exists only "
                               "for task: forecast") for line in lines)


def test_the_backtest_objective_is_accepted_with_backtest(isolated_workdir):
    text = BASE.format(backtest=", backtest: {folds: 3}", objective="backtest_val_rmse")
    assert load_sweep(write_sweep(isolated_workdir, text)).config.data.backtest.folds == 3


def test_validate_refuses_too_many_folds_with_exit_2(isolated_workdir, capsys):
    text = BASE.format(backtest=", lookback: 24, backtest: {folds: 12}",
                       objective="backtest_val_rmse")
    path = write_sweep(isolated_workdir, text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: data.backtest: 12 folds with step 12" in err
    assert "lower data.backtest.folds or data.backtest.step" in err
