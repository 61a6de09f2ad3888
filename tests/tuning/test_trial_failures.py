"""Trials that fail (out of memory, unbuildable) fail alone, and leave nothing behind."""

from __future__ import annotations

import gc
import weakref

import pytest

from conftest import write_sweep
from lstm_automl.cli import main

pytestmark = pytest.mark.slow

SWEEP = """
name: {name}
seed: 4
data: {{source: builtin:nile, lookback: 6, split: {{validation: 0.2, test: 0.2}}}}
search:
  cell: {{choice: [lstm, gru, simple_rnn]}}
  units: {{choice: [4, 8]}}
tuner: {{algorithm: grid, max_trials: 6, max_consecutive_failures: 6}}
training: {{epochs: 2, early_stopping_patience: null}}
tracking: {{register_best: false}}
"""


def child_runs(folder, experiment):
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=100)
    return [r for r in runs if "mlflow.parentRunId" in r.data.tags]


def test_out_of_memory_and_unbuildable_trials_fail_alone(tmp_path, capsys, monkeypatch):
    import tensorflow as tf

    from lstm_automl.model import hypermodel
    real_build, real_fit = hypermodel.build_model, hypermodel.SweepHyperModel.fit

    def build(values, *args, **kwargs):
        if values["cell"] == "simple_rnn":
            raise ValueError("simple_rnn refuses to be built here")
        return real_build(values, *args, **kwargs)

    def fit(self, hp, model, *args, **kwargs):
        if hp.get("cell") == "gru" and hp.get("units") == 8:
            raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")
        if hp.get("cell") == "gru":
            raise MemoryError("Unable to allocate 3.2 GiB")
        return real_fit(self, hp, model, *args, **kwargs)

    monkeypatch.setattr(hypermodel, "build_model", build)
    monkeypatch.setattr(hypermodel.SweepHyperModel, "fit", fit)
    assert main(["run", str(write_sweep(tmp_path, SWEEP.format(name="fails")))]) == 0
    out = capsys.readouterr().out
    assert "out of memory: OOM when allocating tensor" in out
    assert "out of memory: Unable to allocate 3.2 GiB" in out
    assert "model cannot be built: simple_rnn refuses" in out
    assert "Leaderboard (2 of 6 trials completed, 4 failed;" in out

    runs = child_runs(tmp_path, "fails")
    failed = {r.data.params["cell"] + r.data.params["units"]: r for r in runs
              if r.info.status == "FAILED"}
    assert sorted(failed) == ["gru4", "gru8", "simple_rnn4", "simple_rnn8"]
    assert failed["gru8"].data.tags["failure"].startswith("out of memory: OOM")
    assert failed["simple_rnn4"].data.tags["failure"].startswith("model cannot be built")
    assert all("best_val_loss" not in r.data.metrics for r in failed.values())

    # keras-tuner's oracle saw failures without scores: only completed trials can be "best".
    import json

    trials = [json.loads(p.read_text()) for p in
              (tmp_path / ".lstm_sweep" / "fails").glob("trial_*/trial.json")]
    for trial in trials:
        assert (trial["score"] is None) == (trial["status"] == "FAILED")
        if trial["status"] == "FAILED":
            assert trial["metrics"]["metrics"] == {}


def test_no_model_outlives_its_trial(tmp_path, monkeypatch):
    """Nothing of ours keeps a trial's model (or its History) alive into the next trial."""
    from lstm_automl.model import hypermodel
    built: list[weakref.ref] = []
    alive_at_build: list[int] = []
    real_build = hypermodel.build_model

    def build(values, *args, **kwargs):
        gc.collect()
        alive_at_build.append(sum(ref() is not None for ref in built))
        model = real_build(values, *args, **kwargs)
        built.append(weakref.ref(model))
        return model

    monkeypatch.setattr(hypermodel, "build_model", build)
    text = SWEEP.format(name="memory").replace("max_trials: 6", "max_trials: 4")
    assert main(["run", "-q", str(write_sweep(tmp_path, text))]) == 0
    # keras-tuner builds once to explore the space, then once per trial, then the best again;
    # before each build, every earlier model must be gone (keras-tuner clears the session).
    assert len(built) >= 5
    assert alive_at_build[2:] == [0] * len(alive_at_build[2:]), alive_at_build


def test_failures_in_a_row_count_from_the_resumed_session():
    """A sweep stopped by N failures in a row gets N new tries when it is resumed."""
    from types import SimpleNamespace

    import keras_tuner as kt

    from lstm_automl.tuning._keras_tuner_private import count_failures_from_now

    oracle = kt.oracles.RandomSearchOracle(objective="val_loss", max_trials=9,
                                           max_consecutive_failed_trials=2)
    oracle.trials = {str(i): SimpleNamespace(status="FAILED", message="boom") for i in range(4)}
    oracle.end_order = ["0", "1"]  # the earlier session stopped here
    with pytest.raises(RuntimeError):
        oracle._check_consecutive_failures()
    count_failures_from_now(oracle)
    oracle._check_consecutive_failures()  # the old failures no longer count
    oracle.end_order.append("2")
    oracle._check_consecutive_failures()
    oracle.end_order.append("3")
    with pytest.raises(RuntimeError, match="consecutive failures"):
        oracle._check_consecutive_failures()
    assert oracle.end_order == ["0", "1", "2", "3"]
