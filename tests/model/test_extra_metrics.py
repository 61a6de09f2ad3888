"""Objectives beyond loss, error and accuracy: macro-F1, AUC and named Keras metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_automl.config.names import (
    EXTRA_METRICS,
    direction,
    extra_metrics,
    objective_problem,
)
from lstm_automl.data.base import ModelShape
from lstm_automl.data.metrics import classification_metrics
from lstm_automl.errors import ConfigError
from lstm_automl.sweep_file.loader import load_sweep
from tests.conftest import write_sweep

VALUES = {"cell": "gru", "layers": 1, "units": [4], "dropout": [0.0],
          "recurrent_dropout": [0.0], "bidirectional": False, "conv_front": False,
          "dense_layers": 0, "dense_units": [], "dense_activation": None,
          "learning_rate": 0.05, "optimizer": "adam", "loss": "mse", "batch_size": 16,
          "clipnorm": None}


def test_the_registry_and_the_keras_side_agree():
    from lstm_automl.model.metrics import EXTRA_METRIC_FACTORIES

    names = {n for task in EXTRA_METRICS.values() for n in task}
    assert names == set(EXTRA_METRIC_FACTORIES)


def test_directions_and_which_extras_a_model_must_report():
    assert direction("val_macro_f1") == "max" and direction("val_auc") == "max"
    assert direction("val_r2") == "max" and direction("val_logcosh") == "min"
    assert extra_metrics("classify", "val_macro_f1", "val_loss") == ("macro_f1",)
    assert extra_metrics("classify", "val_accuracy", None) == ()
    assert objective_problem("classify", "val_auc", False) is None
    assert objective_problem("regress", "val_r2", False) is None
    assert "not a metric a forecast model reports" in objective_problem(
        "forecast", "val_auc", False)


@pytest.mark.usefixtures("keras_session")
@pytest.mark.parametrize("classes", [2, 3])
def test_classifiers_report_macro_f1_and_auc_that_match_numpy(classes: int):
    from lstm_automl.model.hypermodel import build_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 10, 2)).astype("float32")
    labels = rng.integers(0, classes, size=64)
    x[:, :, 0] += labels[:, None]
    outputs = 1 if classes == 2 else classes
    y = labels.reshape(-1, 1).astype("float32") if classes == 2 else labels
    shape = ModelShape(10, 2, outputs, task="classify")
    model = build_model(VALUES, shape, seed=1, metrics=("macro_f1", "auc"))
    history = model.fit(x, y, validation_data=(x, y), epochs=2, batch_size=16, verbose=0)
    assert {"val_macro_f1", "val_auc"} <= set(history.history)
    scores = model.evaluate(x, y, verbose=0, return_dict=True)
    probs = model.predict(x, verbose=0)
    if classes == 2:
        probs = np.concatenate([1 - probs, probs], axis=1)
    expected = classification_metrics(labels, probs)["macro_f1"]
    assert scores["macro_f1"] == pytest.approx(expected, abs=1e-5)
    assert 0.0 <= scores["auc"] <= 1.0


@pytest.mark.usefixtures("keras_session")
def test_a_model_with_an_extra_metric_saves_and_loads(tmp_path: Path):
    import keras

    from lstm_automl.model.hypermodel import build_model

    model = build_model(VALUES, ModelShape(10, 2, 3, task="classify"), metrics=("macro_f1",))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.output_shape == (None, 3)


@pytest.mark.usefixtures("keras_session")
def test_regressors_report_r2():
    from lstm_automl.model.hypermodel import build_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 10, 1)).astype("float32")
    y = x.sum(axis=1)
    model = build_model(VALUES, ModelShape(10, 1, 1, task="regress"), metrics=("r2",))
    history = model.fit(x, y, validation_data=(x, y), epochs=1, batch_size=16, verbose=0)
    assert "val_r2" in history.history


@pytest.mark.parametrize("body, problem", [
    ("data: {source: builtin:airline}\ntuner: {objective: val_macro_f1}",
     "tuner.objective: 'val_macro_f1' is not a metric a forecast model reports"),
    ("data: {source: builtin:GunPoint, task: classify}\ntuner: {objective: val_auc}\n"
     "training: {early_stopping_monitor: val_rmse}",
     "training.early_stopping_monitor: 'val_rmse' is not a metric a classify model reports"),
])
def test_validate_checks_the_model_will_report_the_objective(body: str, problem: str,
                                                            isolated_workdir: Path):
    with pytest.raises(ConfigError) as caught:
        load_sweep(write_sweep(isolated_workdir, f"name: m\n{body}\n"))
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_an_extra_objective_and_another_monitor_validate(isolated_workdir: Path):
    loaded = load_sweep(write_sweep(isolated_workdir, (
        "name: m\ndata: {source: builtin:GunPoint, task: classify}\n"
        "tuner: {objective: val_macro_f1}\n"
        "training: {early_stopping_monitor: val_loss, min_delta: 0.001}\n")))
    assert loaded.config.training.min_delta == 0.001
