"""The trial loop's own costs: checkpoint written once, epochs batched, nothing kept per trial.

Real Keras training on tiny data, real keras-tuner, a real sqlite MLflow store in tmp_path.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.cli import main

SWEEP = """
name: loop
seed: 2
data: {{source: builtin:nile, lookback: 6, split: {{validation: 0.2, test: 0.2}}}}
search:
  cell: {{choice: [lstm, gru, simple_rnn]}}
  units: {{choice: [4, 8]}}
tuner: {{algorithm: random, max_trials: {trials}}}
training: {{epochs: 3, early_stopping_patience: null}}
tracking: {{register_best: false}}
"""


def tiny_model():
    import keras

    model = keras.Sequential([keras.Input((4, 1)), keras.layers.GRU(3), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", jit_compile=False)
    return model


def test_best_epoch_is_kept_in_memory_and_written_once(tmp_path, keras_session, monkeypatch):
    import keras_tuner as kt

    from lstm_automl.tuning.tuners import BestEpochInMemory

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4, 1)), rng.normal(size=(32, 1))
    model = tiny_model()
    path = str(tmp_path / "checkpoint.weights.h5")
    best = BestEpochInMemory(kt.Objective("val_loss", "min"), path)
    seen: list[tuple[float, list[np.ndarray]]] = []
    writes: list[str] = []
    save = model.save_weights
    monkeypatch.setattr(model, "save_weights", lambda p: (writes.append(p), save(p)))

    import keras

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((logs["val_loss"], self.model.get_weights()))

    history = model.fit(x, y, validation_data=(x, y), epochs=6, verbose=0,
                        callbacks=[Watch(), best])
    assert writes == [path]  # once, at the end of training, not per improving epoch
    losses = history.history["val_loss"]
    wanted = seen[int(np.argmin(losses))][1]
    final = model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(final, seen[-1][1], strict=True))
    reloaded = tiny_model()
    reloaded.optimizer.build(reloaded.trainable_variables)
    reloaded.load_weights(path)
    assert all(np.allclose(a, b) for a, b in zip(reloaded.get_weights(), wanted, strict=True))


def test_epoch_buffer_batches_and_flush_writes_the_rest(tmp_path):
    import mlflow

    from lstm_automl.tuning.tuners import EpochBuffer, EpochLogger

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    run_id = client.create_run(client.create_experiment("buffer")).info.run_id
    buffer = EpochBuffer(uri, run_id, every=3600.0)
    logger = EpochLogger(buffer)
    import copy

    twin = copy.deepcopy(logger)  # keras-tuner deep-copies callbacks: the buffer is shared
    assert twin.buffer is buffer
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})  # the first epoch goes out at once
    for epoch in range(1, 5):
        twin.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": float("nan")})
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == [0]
    buffer.flush()
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == [0, 1, 2, 3, 4]
    assert [m.step for m in client.get_metric_history(run_id, "val_loss")] == [0]  # NaN skipped
    client.set_terminated(run_id)


@pytest.mark.slow
def test_a_sweep_leaves_no_traced_graphs_behind(tmp_path, capsys):
    """TensorFlow's custom-gradient registry held every trial's train graph (bench/memory.py:
    ~2,500 graph objects and ~18 MiB per trial); a sweep must leave none of it behind."""
    from tensorflow.python.framework.func_graph import FuncGraph

    from lstm_automl.tuning.trial_memory import custom_gradients

    def graphs() -> int:
        gc.collect()
        return sum(isinstance(o, FuncGraph) for o in gc.get_objects())

    path = write_sweep(tmp_path, SWEEP.format(trials=3))
    before_gradients, before_graphs = custom_gradients(), graphs()
    assert main(["run", str(path)]) == 0
    assert custom_gradients() - before_gradients == set()
    assert graphs() <= before_graphs + 8  # the data pipeline's few, not 3 trials' dozens
    out = capsys.readouterr().out
    assert "Leaderboard (3 of 3 trials completed" in out


@pytest.mark.parametrize(("every", "budget", "expected"), [
    (0, 100, False), (25, 25, False), (25, 26, True), (5, None, True)])
def test_a_supervisor_only_when_the_budget_exceeds_one_process(every, budget, expected):
    from lstm_automl.distributed.process_recycling import needs_supervisor

    assert needs_supervisor(every, budget) is expected


def test_only_the_first_child_starts_fresh():
    import argparse

    from lstm_automl.commands.run import _child_argv

    args = argparse.Namespace(sweep_file="s.yaml", debug=True, quiet=True, verbose=False,
                              fresh=True)
    first, later = _child_argv(args)
    assert first == ["--debug", "run", "s.yaml", "-q", "--fresh"]
    assert later == ["--debug", "run", "s.yaml", "-q"]
