"""Searched training settings: epochs, shuffle and seed as trial hyperparameters."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import numpy as np
import pytest

from lstm_automl.config.schema import SweepConfig
from lstm_automl.config.space_summary import sweep_space
from lstm_automl.data.base import ModelShape
from lstm_automl.errors import ConfigError
from lstm_automl.sweep_file.loader import load_sweep
from tests.conftest import write_sweep


def config(**training: object) -> SweepConfig:
    return SweepConfig.model_validate({"name": "t", "data": {"source": "builtin:airline"},
                                       "search": {"units": 4}, "training": training})


def test_only_searched_settings_are_hyperparameters():
    training = config(epochs={"choice": [1, 3]}, shuffle={"choice": [False, True]}).training
    assert set(training.searched()) == {"epochs", "shuffle"} and training.max_epochs() == 3
    assert config(epochs=5).training.searched() == {} and config(seed=7).training.trial_settings(
    ) == {"seed": 7}


@pytest.mark.usefixtures("keras_session")
def test_the_trial_trains_for_its_epochs_from_its_seed():
    from lstm_automl.model.hypermodel import SweepHyperModel

    sweep = config(epochs={"choice": [1, 2]}, seed={"choice": [5, 6]})
    builder = SweepHyperModel(sweep.search.specs(), ModelShape(10, 1, 1), 1,
                              training=sweep.training.trial_settings())
    x = np.random.default_rng(0).normal(size=(16, 10, 1)).astype("float32")
    y = x[:, -1]
    weights = []
    for seed, epochs in ((5, 2), (5, 2), (6, 2)):
        hp = kt.HyperParameters()
        hp.values.update(epochs=epochs, seed=seed)
        model = builder.build(hp)
        weights.append(model.get_weights()[0])
        history = builder.fit(hp, model, x, y, validation_data=(x, y), epochs=9, verbose=0)
        assert len(history.history["loss"]) == epochs  # the trial's epochs, not the call's
    np.testing.assert_array_equal(weights[0], weights[1])  # same seed, same initial weights
    assert not np.array_equal(weights[0], weights[2])
    assert {"epochs", "seed"} <= {p.name for p in hp.space}


def test_summary_and_refusals(isolated_workdir: Path):
    rows, size = sweep_space(config(epochs={"choice": [10, 20]}, seed={"choice": [1, 2, 3]}))
    assert ("training.epochs", "choice of 10, 20") in rows and size == 6
    path = write_sweep(isolated_workdir, "name: t\ndata: {source: builtin:airline}\n"
                                         "tuner: {algorithm: hyperband}\n"
                                         "training: {epochs: {choice: [2, 4]}}\n")
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert caught.value.problems == ["training.epochs: hyperband sets each trial's epochs "
                                     "itself; give one number (its budget)"]
