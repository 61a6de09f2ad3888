"""Several target columns: windows, per-target scaling, metrics in each target's units, and
baselines that match what a single-target sweep on that column scores."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data import prepare_forecast
from lstm_automl.errors import DataError


def _csv(folder: Path, rows: int = 90) -> Path:
    rng = np.random.default_rng(3)
    lines = ["step,load,temp,hum"]
    for i in range(rows):
        lines.append(f"{i},{500 + 80 * math.sin(i / 2) + rng.normal(0, 5):.3f},"
                     f"{20 + 3 * math.cos(i / 3) + rng.normal(0, 0.2):.3f},{i % 5}")
    path = folder / "two.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _data(folder: Path, target: object = ("load", "temp"), **fields: object):
    _csv(folder)
    config = {"source": "two.csv", "time_column": "step", "lookback": 6, "horizon": 2,
              "split": {"validation": 0.2, "test": 0.2}, **fields}
    config["target"] = list(target) if isinstance(target, tuple) else target
    return prepare_forecast(ForecastDataConfig.model_validate(config), folder)


def test_windows_hold_every_target_scaled_on_its_own_training_rows(tmp_path):
    data = _data(tmp_path)
    assert data.features == ["load", "temp"]  # default inputs: the targets
    assert data.model_shape().n_outputs == 4 and data.model_shape().n_targets == 2
    assert data.model_shape().target_channel is None
    n_train = data.split_rows["train"][1]
    series = data.target_series
    np.testing.assert_allclose(data.target_scaler.offset, series[:n_train].mean(axis=0))
    np.testing.assert_allclose(data.target_scaler.scale, series[:n_train].std(axis=0))
    train = data.splits["train"]
    row = int(train.index[0])
    expected = (np.concatenate([series[row:row + 2, 0], series[row:row + 2, 1]])
                - np.repeat(data.target_scaler.offset, 2)) / np.repeat(data.target_scaler.scale, 2)
    np.testing.assert_allclose(train.y[0], expected, rtol=1e-5)  # target-major


@pytest.mark.parametrize("transform", ["none", "diff", "log"])
def test_inverse_gives_each_target_back_in_its_units(tmp_path, transform):
    data = _data(tmp_path, transform=transform)
    test = data.splits["test"]
    np.testing.assert_allclose(data.inverse_target(test.y, test.index), data.actual(),
                               rtol=1e-4)
    assert data.actual().shape == (len(test.x), 4)


def test_metrics_and_baselines_per_target_match_single_target_sweeps(tmp_path):
    data = _data(tmp_path)
    perturbed = data.splits["test"].y + 0.1
    metrics = data.evaluate(perturbed)
    baselines = data.baseline_report(5.0)
    for target in ("load", "temp"):
        alone = _data(tmp_path, target=target, features=["load", "temp"])
        j = data.targets.index(target)
        own = alone.evaluate(perturbed[:, 2 * j:2 * j + 2])
        assert metrics[f"rmse_{target}"] == pytest.approx(own["rmse"])
        assert metrics[f"mae_{target}"] == pytest.approx(own["mae"])
        single = alone.baseline_report(5.0).metrics
        for name in ("naive", "ar"):
            assert baselines.metrics[name][f"rmse_{target}"] == pytest.approx(
                single[name]["rmse"], rel=1e-6)
        assert baselines.labels[f"ar/{target}"] == alone.baseline_report().labels["ar"]
    spread = data.target_series[:data.split_rows["train"][1]].std(axis=0)
    assert metrics["rmse"] == pytest.approx(
        (metrics["rmse_load"] / spread[0] + metrics["rmse_temp"] / spread[1]) / 2)
    header, rows = data.prediction_table(perturbed)
    assert header[2:4] == ["actual_load_h1", "actual_load_h2"] and "predicted_temp_h2" in header
    assert len(rows[0]) == len(header)
    assert data.summary()["target"] == "load,temp"


def test_one_name_in_a_list_is_the_single_target_sweep(tmp_path):
    listed, plain = _data(tmp_path, target=("load",)), _data(tmp_path, target="load")
    np.testing.assert_array_equal(listed.splits["train"].y, plain.splits["train"].y)
    predicted = plain.splits["test"].y * 0.9
    assert listed.evaluate(predicted) == plain.evaluate(predicted) and "rmse_load" not in \
        plain.evaluate(predicted)


def test_extra_features_and_a_missing_target_column(tmp_path):
    data = _data(tmp_path, features=["load", "temp", "hum"])
    assert data.splits["train"].x.shape[2] == 3
    with pytest.raises(DataError, match=r"two\.csv: data\.target: column 'wind' not found"):
        _data(tmp_path, target=("load", "wind"))
