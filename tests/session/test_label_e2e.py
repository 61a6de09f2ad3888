"""End to end: a ``task: label`` sweep on a long table of sequences of unequal length trains
one real trial, scores every real test step against the per-step baselines, registers the
model in a real MLflow sqlite store, and the pyfunc answers one label per input row, here and
in a fresh process from only what the model carries."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from child_processes import START_TIMEOUT
from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.data.generators import regimes

pytestmark = [pytest.mark.slow, pytest.mark.backend_contract]

SWEEP = """
name: steps
seed: 3
data: {source: steps.csv, task: label, case_column: case_id, time_column: t}
search: {cell: gru, units: 8, bidirectional: true}
tuner: {algorithm: random, max_trials: 1, objective: val_accuracy}
training: {epochs: 1, early_stopping_patience: null}
final_model: {seeds: 1}
tracking: {champion_must_beat_baseline: false}
"""


def _table(folder: Path) -> pd.DataFrame:
    """40 regime sequences of 10-16 steps, as a long table in shuffled row order."""
    x, y = regimes(16, 40, seed=5)
    lengths = np.random.default_rng(5).integers(10, 17, size=40)
    frame = pd.DataFrame([{"case_id": f"s{i}", "t": t, "value": x[i, t, 0],
                           "regime": ["calm", "rising", "volatile"][y[i, t]]}
                          for i in range(40) for t in range(lengths[i])])
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    frame.rename(columns={"regime": "label"}).to_csv(folder / "steps.csv", index=False)
    return frame


def _predict_in_fresh_process(model: Path, table: Path, cwd: Path) -> pd.DataFrame:
    script = ("import mlflow, pandas as pd, sys; "
              "assert 'lstm_automl' not in sys.modules; "
              f"m = mlflow.pyfunc.load_model({str(model)!r}); "
              f"print(m.predict(pd.read_csv({str(table)!r})).to_json())")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLFLOW_TRACKING_URI")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=START_TIMEOUT, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return pd.read_json(io.StringIO(done.stdout.strip().splitlines()[-1]))


def test_a_label_sweep_registers_a_model_that_labels_every_input_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import mlflow

    frame = _table(tmp_path)
    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    out = capsys.readouterr().out
    assert "lengths 10-16, padded and masked" in out and "3 classes per step" in out
    assert "baseline majority (most frequent class at every step" in out
    assert "baseline window (ridge classifier on a window of" in out
    assert "<- strongest" in out and "Registered 'steps' version 1" in out

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["steps"])
    sweep = runs[runs["metrics.test_accuracy"].notna()].iloc[0]
    for name in ("test_accuracy", "test_macro_f1", "baseline_majority_test_accuracy",
                 "baseline_window_test_accuracy", "baseline_window_test_macro_f1"):
        assert 0.0 <= sweep[f"metrics.{name}"] <= 1.0, name
    assert sweep["tags.lstm_sweep.strongest_baseline"] in ("majority", "window")

    local = Path(mlflow.artifacts.download_artifacts("models:/steps/1",
                                                     dst_path=str(tmp_path / "m")))
    model = mlflow.pyfunc.load_model(str(local))
    two = frame[frame["case_id"].isin(["s1", "s7"])].drop(columns=["regime"])
    answer = model.predict(two)
    assert len(answer) == len(two)  # one label per input row, in the order sent
    assert list(answer["case"]) == list(two["case_id"])
    assert set(answer["label"]) <= {"calm", "rising", "volatile"}
    probabilities = ["p_calm", "p_rising", "p_volatile"]
    np.testing.assert_allclose(answer[probabilities].sum(axis=1), 1.0, rtol=1e-5)
    # each row's answer is its own step's: the same case sent alone, in time order, agrees
    alone = two[two["case_id"] == "s7"].sort_values("t")
    again = model.predict(alone)
    expected = answer[two["case_id"].to_numpy() == "s7"].assign(t=two.loc[
        two["case_id"] == "s7", "t"].to_numpy()).sort_values("t")
    np.testing.assert_allclose(again[probabilities].to_numpy(),
                               expected[probabilities].to_numpy(), rtol=1e-5, atol=1e-6)

    table = tmp_path / "two.csv"
    two.to_csv(table, index=False)
    there = _predict_in_fresh_process(local, table, tmp_path)
    assert list(there["label"]) == list(answer["label"])
