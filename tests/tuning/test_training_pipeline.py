"""Trials train through shared input pipelines (tf.data on TensorFlow, a PyDataset on JAX);
backtest folds feed the objective (real Keras training)."""

from __future__ import annotations

import keras
import keras_tuner as kt
import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.schema import ForecastDataConfig, SweepConfig
from lstm_automl.data.pipeline import Pipelines, epoch_seed_callback
from lstm_automl.data.variants import ForecastVariants
from lstm_automl.model.training import BacktestLogs, TrialTrainer, check_finite_loss


def _epoch_batches(pipelines: Pipelines, dataset, trial_seed: int, epoch: int) -> list:
    """The targets of an epoch's batches, from a tf.data pipeline (TensorFlow) or the PyDataset
    the other backends train on."""
    epoch_seed_callback(pipelines, trial_seed).on_epoch_begin(epoch)
    if isinstance(dataset, keras.utils.PyDataset):
        batches = [dataset[i] for i in range(len(dataset))]
    else:
        batches = list(dataset)
    return [np.asarray(y).ravel().tolist() for _, y in batches]


@pytest.mark.backend_contract
def test_pipeline_is_built_once_and_shuffles_by_trial_and_epoch():
    x = np.arange(20, dtype=np.float32).reshape(10, 2, 1)
    y = np.arange(10, dtype=np.float32)[:, None]
    pipelines = Pipelines()
    train = pipelines.dataset(x, y, 4, shuffle=True)
    assert pipelines.dataset(x, y, 4, shuffle=True) is train  # reused by the next trial
    assert pipelines.dataset(x, y, 8, shuffle=True) is not train  # batch size is part of the key
    first = _epoch_batches(pipelines, train, 7, 0)
    assert [len(b) for b in first] == [4, 4, 2]
    assert sorted(v for b in first for v in b) == list(range(10))
    assert _epoch_batches(pipelines, train, 7, 1) != first  # reshuffled each epoch
    _epoch_batches(pipelines, train, 99, 0)  # another trial in between...
    assert _epoch_batches(pipelines, train, 7, 0) == first  # ...changes nothing for this one
    fixed = pipelines.dataset(x, y, 4, shuffle=False)
    assert [v for b in _epoch_batches(pipelines, fixed, 7, 0) for v in b] == list(range(10))


def test_backtest_logs_average_the_folds():
    logs = {"loss": 0.5, "val_loss": 0.4, "val_rmse": 3.0}
    BacktestLogs([{"val_loss": 0.2, "val_rmse": 1.0}, {"val_loss": 0.3, "val_rmse": 2.0}]
                 ).on_epoch_end(0, logs)
    assert logs["backtest_val_rmse"] == pytest.approx(2.0)
    assert logs["backtest_val_loss"] == pytest.approx(0.3)
    assert (logs["backtest_fold1_val_rmse"], logs["backtest_fold3_val_rmse"]) == (1.0, 3.0)
    assert "backtest_loss" not in logs


def test_a_nan_loss_fails_the_trial_with_its_epoch():
    history = keras.callbacks.History()
    history.history = {"loss": [0.5, 0.4]}
    check_finite_loss(history)
    history.history = {"loss": [0.5, float("nan"), float("inf")]}
    with pytest.raises(kt.errors.FailedTrialError,
                       match=r"NaN or infinite at epoch 2 in backtest fold 1 \(try"):
        check_finite_loss(history, " in backtest fold 1")


@pytest.mark.backend_contract
@pytest.mark.usefixtures("keras_session")
def test_class_weights_work_with_the_pipelines():
    from lstm_automl.data.base import ModelShape
    from lstm_automl.model.hypermodel import build_model

    values = {"conv_front": False, "layers": 1, "cell": "gru", "units": [4], "dropout": [0.0],
              "recurrent_dropout": [0.0], "bidirectional": False, "dense_layers": 0,
              "dense_units": [4], "dense_activation": "relu", "optimizer": "adam",
              "learning_rate": 0.01, "clipnorm": None, "loss": "mse"}
    model = build_model(values, ModelShape(5, 1, 3, "classify", masked=True), seed=1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 5, 1)).astype(np.float32)
    x[:10, 3:] = 0.0  # padded after the end: masked
    y = np.array([0] * 20 + [1] * 7 + [2] * 3, dtype=np.int64)
    history = TrialTrainer().fit(lambda m, *a, **k: m.fit(*a, **k), model, x, y, (x, y), 8,
                                 True, [], {"epochs": 1, "verbose": 0,
                                            "class_weight": {0: 0.5, 1: 1.4, 2: 3.3}})
    assert np.isfinite(history.history["val_loss"][0])


@pytest.mark.usefixtures("keras_session")
def test_hypermodel_trains_one_model_per_fold_and_reports_the_average(tmp_path):
    from lstm_automl.model.hypermodel import SweepHyperModel

    data_config = ForecastDataConfig(source="builtin:airline", lookback=6,
                                     split={"validation": 12}, backtest={"folds": 2})
    variants = ForecastVariants(data_config, tmp_path)
    specs = SweepConfig.model_validate({"name": "b", "data": {"source": "builtin:airline"},
                                        "search": {"units": 4}}).search.specs()
    builder = SweepHyperModel(specs, variants.default().model_shape(), 1, variants)
    hp = kt.HyperParameters()
    model = builder.build(hp)
    stop = keras.callbacks.EarlyStopping(monitor="backtest_val_rmse", mode="min", patience=1,
                                         restore_best_weights=True)
    history = builder.fit(hp, model, None, None, epochs=1, verbose=0, callbacks=[stop])
    logs = history.history
    folds = [logs[f"backtest_fold{k}_val_rmse"][-1] for k in (1, 2)]
    assert logs["backtest_fold2_val_rmse"] == logs["val_rmse"]  # the last fold is this model
    assert logs["backtest_val_rmse"][-1] == pytest.approx(np.mean(folds))
    assert folds[0] != folds[1]


@pytest.mark.slow
def test_backtest_sweep_end_to_end(tmp_path, capsys):
    text = """
name: bte2e
seed: 4
data:
  source: builtin:airline
  lookback: {choice: [6, 12]}
  transform: log_diff
  split: {validation: 12}
  backtest: {folds: 2, step: 12}
search: {cell: gru, units: 4, learning_rate: {float: [1.0e-3, 1.0e-2], log: true}}
tuner: {algorithm: random, max_trials: 2, objective: backtest_val_rmse}
training: {epochs: 1, early_stopping_patience: null}
tracking: {register: false}
"""
    assert main(["run", "-q", str(write_sweep(tmp_path, text))]) == 0
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("bte2e")
    runs = client.search_runs([experiment.experiment_id])
    trials = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(trials) == 2
    for run in trials:
        metrics = run.data.metrics
        folds = [metrics["backtest_fold1_val_rmse"], metrics["backtest_fold2_val_rmse"]]
        assert metrics["best_backtest_val_rmse"] == pytest.approx(np.mean(folds))
        assert metrics["backtest_fold2_val_rmse"] == pytest.approx(metrics["val_rmse"])
    sweep = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    assert "best_backtest_val_rmse" in sweep.data.metrics and "test_rmse" in sweep.data.metrics
    assert sweep.data.params["data.backtest"] == "2 folds, step 12"
