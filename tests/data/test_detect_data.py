"""``task: detect``: the sweep file's keys, the labels read beside the series, what the loss
sees, the threshold on validation and the detectors on the test steps. NumPy and pandas only
(no TensorFlow): the network is stood in for by plain functions of its windows."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from conftest import PROJECT_ROOT, write_sweep
from lstm_automl.cli import main
from lstm_automl.config.schema import DetectDataConfig
from lstm_automl.data.detect import DetectData, prepare_detect
from lstm_automl.data.generators import anomaly_series
from lstm_automl.errors import DataError


def _validate(folder, text: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["validate", str(write_sweep(folder, text))])
    return code, err.getvalue()


def _csv(folder, labels: list[int] | None = None, rows: int = 120) -> None:
    values, flags = anomaly_series(rows, 4, every=20)
    frame = pd.DataFrame({"t": np.arange(rows), "x": values,
                          "bad": flags if labels is None else labels})
    frame.to_csv(folder / "s.csv", index=False)


def test_the_shipped_series_is_the_generator_s_output():
    shipped = pd.read_csv(PROJECT_ROOT / "datasets" / "anomalies_hourly.csv")
    values, flags = anomaly_series(2400, 11)
    np.testing.assert_allclose(shipped["value"], values)
    assert shipped["anomaly"].tolist() == flags.tolist()
    assert shipped["hour"].iloc[0] == "2024-01-01 00:00" and len(shipped) == 2400


@pytest.mark.parametrize(("name", "rows", "flagged", "first"), [
    ("issnip_mote1_indoor.csv", 4417, 117, 2344), ("issnip_mote4_outdoor.csv", 5041, 32, 2362)])
def test_the_shipped_sensor_benchmark_is_the_published_one(name, rows, flagged, first):
    # datasets/README.md: the npm package's rows of one mote, one contiguous labelled event
    frame = pd.read_csv(PROJECT_ROOT / "datasets" / name)
    assert list(frame.columns) == ["reading", "temperature", "humidity", "anomaly"]
    assert len(frame) == rows and frame["reading"].tolist() == list(range(1, rows + 1))
    events = frame.index[frame["anomaly"] == 1]
    assert len(events) == flagged and events[-1] - events[0] == flagged - 1
    assert frame["reading"].iloc[events[0]] == first
    assert frame.notna().all().all()


def test_the_example_sweep_validates(tmp_path):
    text = (PROJECT_ROOT / "sweeps" / "detect_example.yaml").read_text()
    code, err = _validate(tmp_path, text)
    assert code == 0, err


@pytest.mark.parametrize(("data", "line"), [
    ("{task: detect, source: builtin:anomalies, horizon: 2}",
     "data.horizon: task: detect scores one-step forecasts; must be 1 (got 2)"),
    ("{task: detect, source: builtin:anomalies, target: [value, other]}",
     "data.target: task: detect scores one series; give one column"),
    ("{task: detect, source: builtin:anomalies, backtest: {folds: 2}}",
     "data.backtest: not available for task: detect"),
    ("{task: detect, source: builtin:anomalies, threshold: f1}",
     "data.threshold: 'f1' is not allowed"),
    ("{task: detect, source: builtin:anomalies, threshold_quantile: 1.5}",
     "data.threshold_quantile:"),
    ("{task: forecast, source: builtin:airline, label: x}",
     "data.label: applies only to task: classify, label or detect"),
])
def test_bad_detect_keys_are_refused_in_one_line(tmp_path, data, line):
    code, err = _validate(tmp_path, f"name: d\ndata: {data}\n")
    assert code == 2 and line in err, err


def test_a_refit_is_refused_and_the_preset_does_not_write_one(tmp_path, monkeypatch):
    code, err = _validate(tmp_path, "name: d\ndata: {task: detect, source: builtin:anomalies}"
                                    "\nfinal_model: {refit: true}\n")
    assert code == 2 and "final_model.refit: task detect chooses its threshold" in err
    code, err = _validate(tmp_path, "name: d\ndata: {task: detect, source: builtin:anomalies}"
                                    "\nsearch: {dropout: 0.2}\nfinal_model: {mc_dropout: "
                                    "{samples: 5}}\n")
    assert code == 2 and "final_model.mc_dropout: not available for task detect" in err
    monkeypatch.setenv("LSTM_SWEEP_PRESET", "good")
    code, err = _validate(tmp_path, "name: d\ndata: {task: detect, source: builtin:anomalies}\n")
    assert code == 0, err


def test_bad_label_columns_are_refused_naming_the_row(tmp_path):
    _csv(tmp_path, labels=[0] * 50 + [2] + [0] * 69)
    code, err = _validate(tmp_path, "name: d\ndata: {task: detect, source: s.csv, target: x, "
                                    "time_column: t, label: bad}\n")
    assert code == 2 and "column 'bad' (data.label) must hold 0 or 1, but row 52 is 2" in err
    code, err = _validate(tmp_path, "name: d\ndata: {task: detect, source: s.csv, target: x}\n")
    assert code == 2 and "data.label is required for task: detect" in err
    code, err = _validate(tmp_path, "name: d\ndata: {task: detect, source: s.csv, target: x, "
                                    "label: bad, features: [x, bad]}\n")
    assert code == 2 and "data.features: 'bad' is the label column" in err
    code, err = _validate(tmp_path, "name: d\ndata: {task: detect, source: builtin:anomalies, "
                                    "features: {choice: [[value], [value, anomaly]]}}\n")
    assert code == 2 and "data.features: 'anomaly' is the label column" in err


def test_a_test_split_without_anomalies_is_refused(tmp_path):
    _csv(tmp_path, labels=[1] + [0] * 119)
    with pytest.raises(DataError, match="the test split holds no labelled anomaly"):
        prepare_detect(DetectDataConfig(task="detect", source="s.csv", target="x",
                                        label="bad", lookback=4), tmp_path)


def _prepared(tmp_path, **keys) -> DetectData:
    _csv(tmp_path, rows=400)
    config = DetectDataConfig(task="detect", source="s.csv", target="x", label="bad",
                              time_column="t", lookback=6, season=24,
                              split={"validation": 100, "test": 100}, **keys)
    return prepare_detect(config, tmp_path)


def test_labelled_targets_leave_the_loss_but_not_the_scoring(tmp_path):
    dropped, kept = _prepared(tmp_path), _prepared(tmp_path, training_anomalies="keep")
    for split in ("train", "validation"):
        labels = dropped.labels[dropped.splits[split].index]
        assert not labels.any()
        assert len(kept.splits[split].x) == len(dropped.splits[split].x) + \
            int(kept.labels[kept.splits[split].index].sum())
        assert dropped.labels[dropped.scoring[split].index].any()
    assert dropped.labels[dropped.splits["test"].index].any()
    assert (dropped.task, dropped.primary_metric, dropped.higher_is_better) == \
        ("detect", "f1", True)
    assert dropped.model_shape().task == "forecast"  # the network is a forecaster


def _perfect(data: DetectData):
    """Outputs whose forecasts are the true values plus 10 at anomalies: the error is 10 at
    each labelled step and 0 elsewhere."""
    def predict(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        values = data.series[rows] + 10.0 * data.labels[rows]
        scaled = (values - data.target_scaler.offset[0]) / data.target_scaler.scale[0]
        return scaled[:, None].astype(np.float64)
    return predict


def test_a_perfect_scorer_gets_f1_one_with_the_threshold_from_validation(tmp_path):
    data = _prepared(tmp_path)
    predict = _perfect(data)
    text = data.calibrate(lambda x: predict(x, data.scoring["validation"].index))
    assert "highest point F1" in text and data.threshold is not None
    assert data.threshold.value == pytest.approx(10.0)
    test = data.splits["test"]
    metrics = data.evaluate(predict(test.x, test.index))
    assert metrics["f1"] == metrics["event_f1"] == metrics["range_f1"] == pytest.approx(1.0)
    assert metrics["forecast_mae"] > 0
    header, rows = data.prediction_table(predict(test.x, test.index))
    assert header[-3:] == ["score", "flag", "bad"]
    assert all(row[-2] == row[-1] for row in rows)  # each flag is its label


def test_evaluate_without_a_threshold_is_a_mistake(tmp_path):
    data = _prepared(tmp_path)
    with pytest.raises(RuntimeError, match="calibrate"):
        data.evaluate(np.zeros((len(data.splits["test"].x), 1)))


def test_the_quantile_rule_and_the_detectors_share_it(tmp_path):
    data = _prepared(tmp_path, threshold="quantile", threshold_quantile=0.9)
    report = data.baseline_report()
    assert set(report.metrics) == {"rolling_zscore", "seasonal_residual", "isolation_forest"}
    for name, values in report.metrics.items():
        # about 10 % of the validation steps pass each detector's own 0.9 quantile
        assert 0.0 <= values["f1"] <= 1.0 and values["threshold"] > 0, name
    assert report.labels["seasonal_residual"] == "absolute change from one season (24) earlier"
    assert data.best_baseline() is not None
