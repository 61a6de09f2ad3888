"""End to end: two target columns forecast at once, real Keras training, real keras-tuner, a real
MLflow sqlite store; the registered model predicts both targets in their own units, in a fresh
process and through ``lstm-sweep predict``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from child_processes import predict_in_fresh_process
from conftest import write_sweep
from lstm_automl.cli import main

pytestmark = pytest.mark.slow

SWEEP = """
name: two
seed: 1
data:
  source: two.csv
  target: [load, temp]
  time_column: step
  lookback: 8
  horizon: 2
  season: 6
  split: {validation: 0.2, test: 0.2}
search: {cell: gru, units: 4, learning_rate: 0.01, batch_size: 16}
tuner: {algorithm: random, max_trials: 1}
training: {epochs: 2, early_stopping_patience: null}
"""


def write_two_targets(folder: Path, rows: int = 120) -> Path:
    """Load in the hundreds and temperature near 20: units far apart, season 6. The
    temperature barely deviates from its season, so the seasonal-naive forecast is near perfect
    and a two-epoch network loses on it."""
    rng = np.random.default_rng(0)
    lines = ["step,load,temp"]
    for i in range(rows):
        load = 500 + 80 * math.sin(2 * math.pi * i / 6) + 0.5 * i + rng.normal(0, 5)
        temp = 20 + 3 * math.cos(2 * math.pi * i / 6) + rng.normal(0, 0.01)
        lines.append(f"{i},{load:.3f},{temp:.4f}")
    path = folder / "two.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_two_targets_train_score_register_and_serve(tmp_path, capsys):
    import mlflow

    csv = write_two_targets(tmp_path)
    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    out = capsys.readouterr().out
    assert "load (original units): rmse" in out and "temp (original units): rmse" in out
    # the honest verdict: each target against its own strongest baseline; two epochs lose
    assert "LOSES to the strongest baseline on" in out and "temp: LOSES to" in out
    assert "Load this sweep's model" in out and "@champion" not in out

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("two")
    parent = next(r for r in client.search_runs([experiment.experiment_id])
                  if "mlflow.parentRunId" not in r.data.tags)
    metrics = parent.data.metrics
    for target in ("load", "temp"):
        assert {f"test_rmse_{target}", f"test_mae_{target}", f"baseline_naive_test_rmse_"
                f"{target}", f"baseline_seasonal_naive_test_rmse_{target}",
                f"baseline_ar_test_rmse_{target}"} <= set(metrics)
    assert {"test_rmse", "baseline_naive_test_rmse"} <= set(metrics)
    assert metrics["test_rmse_lift_over_best_baseline"] < 0
    assert parent.data.params["data.target"] == "load,temp"
    assert parent.data.tags["lstm_sweep.verdict"].startswith("loses on") and \
        "temp" in parent.data.tags["lstm_sweep.verdict"]
    summary = json.loads(Path(client.download_artifacts(
        parent.info.run_id, "summary.json", str(tmp_path))).read_text())
    assert "LOSES" in summary["verdict"] and "temp" in summary["verdict"]

    version = client.get_model_version("two", "1")
    assert not version.aliases and "every target" in version.description
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["leaderboard", "two", "--tracking-uri", uri]) == 0  # read back from the store
    board = capsys.readouterr().out
    assert "WARNING: LOSES to the strongest baseline on" in board and "temp: LOSES" in board

    history = tmp_path / "history.csv"
    frame = pd.read_csv(csv).iloc[60:80]
    frame.to_csv(history, index=False)
    output = tmp_path / "out.csv"
    assert main(["predict", "--model", "models:/two/1", "--input", str(history),
                 "--output", str(output), "--tracking-uri", uri]) == 0
    predicted = pd.read_csv(output)
    assert list(predicted.columns) == ["load_h1", "load_h2", "temp_h1", "temp_h2"]
    # in the targets' own units: loads in the hundreds, temperatures near 20
    assert predicted[["load_h1", "load_h2"]].to_numpy().min() > 200
    assert np.all(np.abs(predicted[["temp_h1", "temp_h2"]].to_numpy() - 20) < 10)

    fresh = predict_in_fresh_process("models:/two/1", history, tmp_path,
                                     tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert list(fresh.columns) == list(predicted.columns)
    np.testing.assert_allclose(fresh.to_numpy(), predicted.to_numpy(), rtol=1e-5)
