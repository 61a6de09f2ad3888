"""End to end: a classification sweep with the LSTM-FCN branch on padded sequences of unequal
length registers a model that the pyfunc loads and predicts with, on this backend and, in a
fresh process from only what the model carries, on the other one alike."""

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
from lstm_automl.model.backend import installed

pytestmark = [pytest.mark.slow, pytest.mark.backend_contract]

SWEEP = """
name: vowels_fcn
seed: 3
data: {source: builtin:JapaneseVowels, task: classify}
search: {cell: gru, units: 8, fcn_branch: true, fcn_filters: 8}
tuner: {algorithm: random, max_trials: 1, objective: val_accuracy}
training: {epochs: 1, early_stopping_patience: null}
tracking: {champion_must_beat_baseline: false}
"""


def _predict_on(backend: str, model: Path, table: Path, cwd: Path) -> pd.DataFrame:
    """The pyfunc's answer in a new process on ``backend``, with lstm_automl only as the model
    ships it (no PYTHONPATH)."""
    script = ("import mlflow, pandas as pd, sys, keras; "
              "assert 'lstm_automl' not in sys.modules; "
              f"m = mlflow.pyfunc.load_model({str(model)!r}); "
              f"out = m.predict(pd.read_csv({str(table)!r})); "
              "print(keras.backend.backend()); print(out.to_json())")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLFLOW_TRACKING_URI")}
    env["KERAS_BACKEND"] = backend
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=START_TIMEOUT, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[-2] == backend, done.stdout[-500:]
    return pd.read_json(io.StringIO(lines[-1]))


def test_an_fcn_champion_registers_and_predicts_on_both_backends(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import keras
    import mlflow
    from mlflow.models import Model

    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    out = capsys.readouterr().out
    assert "trial-001 gru x1 fcn" in out and "padded and masked" in out
    assert "Registered 'vowels_fcn' version 1" in out
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    local = Path(mlflow.artifacts.download_artifacts("models:/vowels_fcn/1",
                                                     dst_path=str(tmp_path / "m")))
    model = mlflow.pyfunc.load_model(str(local))
    network = model.get_raw_model()
    assert network.get_layer("fcn_concat") is not None
    assert network.get_layer("fcn_conv_1").filters == 16
    example = Model.load(str(local)).load_input_example(str(local))
    here = model.predict(example)
    probabilities = [c for c in here.columns if c.startswith("p_")]
    assert len(probabilities) == 9
    np.testing.assert_allclose(here[probabilities].sum(axis=1), 1.0, rtol=1e-5)
    other = "jax" if keras.backend.backend() == "tensorflow" else "tensorflow"
    if not installed(other):
        pytest.skip(f"{other} is not installed")
    table = tmp_path / "example.csv"
    example.to_csv(table, index=False)
    there = _predict_on(other, local, table, tmp_path)
    np.testing.assert_allclose(there[probabilities].to_numpy(), here[probabilities].to_numpy(),
                               rtol=0, atol=1e-5)
    assert list(there["label"].astype(str)) == list(here["label"].astype(str))
