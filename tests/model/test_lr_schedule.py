"""lr_schedule (issue 12): a cosine decay inside the optimizer over the trial's steps, and a
reduce-on-plateau callback on the trial's objective, checked on the learning rate after real
tiny fits."""

from __future__ import annotations

import math

import keras_tuner as kt
import numpy as np
import pytest

from lstm_automl.config.params import LR_SCHEDULES
from lstm_automl.config.schema import SearchConfig
from lstm_automl.data.base import ModelShape
from tests.model.test_hypermodel import values

pytestmark = pytest.mark.usefixtures("keras_session")

X = np.random.default_rng(0).normal(size=(64, 10, 1)).astype("float32")
Y = X[:, -1]


def _rate(model) -> float:
    return float(np.asarray(model.optimizer.learning_rate))


def test_the_schedules_match_the_light_names():
    from lstm_automl.model.lr_schedule import SCHEDULES

    assert set(SCHEDULES) == set(LR_SCHEDULES)


def test_cosine_decays_over_the_given_steps():
    from lstm_automl.model.hypermodel import build_model

    model = build_model(values(learning_rate=0.1, lr_schedule="cosine", batch_size=32),
                        ModelShape(10, 1, 1), seed=1, train_steps=4)
    assert _rate(model) == pytest.approx(0.1)
    model.fit(X, Y, epochs=1, batch_size=32, verbose=0)  # 2 of the 4 steps: half way
    assert _rate(model) == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi * 2 / 4)), rel=1e-5)
    model.fit(X, Y, epochs=1, batch_size=32, verbose=0)
    assert _rate(model) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="training steps"):
        build_model(values(lr_schedule="cosine"), ModelShape(10, 1, 1))


def _builder(search: dict, **options):
    from lstm_automl.model.hypermodel import SweepHyperModel

    specs = SearchConfig.model_validate({"units": 4, **search}).specs()
    return SweepHyperModel(specs, ModelShape(10, 1, 1), 1, **options)


def test_a_trial_decays_over_its_epochs_times_its_batches():
    hp = kt.HyperParameters()
    builder = _builder({"lr_schedule": "cosine", "batch_size": 16, "learning_rate": 0.01},
                       train_size=50, epochs=3)
    model = builder.build(hp)
    schedule = model.optimizer._learning_rate
    assert schedule.decay_steps == 3 * 4  # ceil(50 / 16) batches a epoch
    assert hp.values["lr_schedule"] == "cosine"  # a run param like any other


def test_plateau_lowers_the_rate_when_the_objective_stops_improving():
    hp = kt.HyperParameters()
    builder = _builder({"lr_schedule": "plateau", "plateau_factor": 0.5, "plateau_patience": 1,
                        "learning_rate": 1e-7, "batch_size": 32})
    model = builder.build(hp)
    assert hp.values["plateau_factor"] == 0.5 and hp.values["plateau_patience"] == 1
    # A rate of 1e-7 changes val_loss by far less than ReduceLROnPlateau's min_delta: no
    # improvement after the first epoch, so each later epoch halves the rate.
    builder.fit(hp, model, X, Y, validation_data=(X, Y), epochs=3, verbose=0)
    assert _rate(model) == pytest.approx(1e-7 * 0.25, rel=1e-4)


def test_plateau_settings_exist_only_for_plateau_trials():
    hp = kt.HyperParameters()
    builder = _builder({"lr_schedule": {"choice": ["none", "plateau"]},
                        "plateau_patience": {"choice": [1, 3]}})
    builder.build(hp)
    assert hp.is_active("plateau_patience") == (hp.values["lr_schedule"] == "plateau")
    hp.values["lr_schedule"] = "none"
    model = builder.build(hp)
    history = builder.fit(hp, model, X, Y, validation_data=(X, Y), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert _rate(model) == pytest.approx(1e-3)  # none: unchanged
