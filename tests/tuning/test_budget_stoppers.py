"""The callbacks that end a trial inside its training: tuner.target, on a real Keras fit."""

from __future__ import annotations

import keras
import numpy as np

from lstm_automl.tuning.budgets import Budget
from lstm_automl.tuning.pruning import TrialStop


def _fit(budget: Budget, epochs: int = 6) -> tuple[int, TrialStop]:
    """Epochs a tiny regression trained under ``budget``'s stoppers, and why it stopped."""
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    stop = TrialStop()
    history = model.fit(x, y, validation_split=0.25, epochs=epochs, verbose=0,
                        callbacks=budget.trial_stoppers(stop, "val_loss"))
    return len(history.history["loss"]), stop


def test_a_trial_stops_at_the_epoch_that_reaches_the_target():
    _, free = _fit(Budget())
    trained, stop = _fit(Budget(target=1e9, minimise=True))  # any finite val_loss reaches it
    assert trained == 1
    assert stop.reason is not None and stop.reason.startswith(
        "stopped at epoch 1: tuner.target 1e+09 reached (val_loss ")
    assert free.reason is None


def test_a_target_not_reached_lets_the_trial_train_on():
    trained, stop = _fit(Budget(target=-1.0, minimise=True))
    assert trained == 6 and stop.reason is None
    trained, stop = _fit(Budget(target=1e9, minimise=False))  # maximised: far above any loss
    assert trained == 6 and stop.reason is None
