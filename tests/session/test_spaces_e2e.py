"""A classification sweep that searches its window, ranks by macro-F1, derives its widths and
walks its grid evenly: every new key reaches the trials' MLflow params and the leaderboard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.cli import main

pytestmark = pytest.mark.slow

SWEEP = """
name: spaces
seed: 2
data:
  task: classify
  source: rec.npz
  window: {choice: [10, 15]}
  scaling: {choice: [standard, robust]}
search:
  layers: 2
  units: {first: {choice: [8, 4]}, ratio: 0.5}
tuner: {algorithm: grid, grid_order: even, max_trials: 3, objective: val_macro_f1}
training: {epochs: {choice: [1, 2]}, early_stopping_monitor: val_loss}
tracking: {champion_must_beat_baseline: false}
"""


def test_a_sweep_over_the_new_keys_runs_and_records_them(tmp_path: Path, capsys):
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 2
    x = rng.normal(size=(40, 30, 2))
    x[:, :, 0] += 2.0 * labels[:, None]
    np.savez(tmp_path / "rec.npz", x=x, y=labels)
    path = write_sweep(tmp_path, SWEEP)
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Leaderboard" in out and "data.window" in out
    first = next(line for line in out.splitlines() if line.startswith("[1/3] trial-001"))
    for key in ("data.window=", "data.scaling=", "units=", "epochs="):  # data and training too
        assert key in first, first
    board = out.split("Leaderboard", 1)[1].splitlines()[2]  # the best trial's row
    assert "data.window=" in board and "epochs=" in board, board

    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("spaces")
    runs = client.search_runs([experiment.experiment_id])
    trials = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(trials) == 3
    params = [r.data.params for r in trials]
    for p in params:
        assert {"data.window", "data.scaling", "units", "units_ratio", "epochs"} <= set(p)
        assert "units_1" not in p  # derived, not sampled
        assert "val_macro_f1" in client.get_run(trials[0].info.run_id).data.metrics
    # even: three trials already try both values of every searched setting
    for key in ("data.window", "data.scaling", "units", "epochs"):
        assert len({p[key] for p in params}) == 2, key
