"""The bayesian tuner's random start counts searched hyperparameters only (lstm-sweep declares
every setting, most of them fixed, and keras-tuner counted them all: 3 x 21 random trials came
before its Gaussian process, so small bayesian sweeps were random searches)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras_tuner as kt

from lstm_automl.tuning.bayesian import SearchedSpaceBayesianOptimization, initial_points

FIXED = 20


def _space(hp: kt.HyperParameters) -> None:
    """One searched value among many fixed ones, like a sweep that searches the learning rate."""
    for index in range(FIXED):
        hp.Fixed(f"setting_{index}", index)
    hp.Float("learning_rate", 1e-3, 1e-1, sampling="log")


def _score(trial: Any) -> float:
    return abs(float(trial.hyperparameters.get("learning_rate")) - 0.01)


class Scored(SearchedSpaceBayesianOptimization):
    """Trials score their values directly: the oracle is what is tested."""

    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> float:
        return _score(trial)


class StockScored(kt.BayesianOptimization):
    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> float:
        return _score(trial)


def _search(cls: type, folder: Path, **kwargs: Any) -> Any:
    tuner = cls(hypermodel=_space, objective=kt.Objective("score", "min"), max_trials=4,
                seed=1, directory=str(folder), project_name=cls.__name__, **kwargs)
    tuner.search(verbose=0)
    assert len(tuner.oracle.trials) == 4
    return tuner.oracle


def _gaussian_process_fitted(oracle: Any) -> bool:
    return hasattr(oracle.gpr, "X_train_")  # scikit-learn sets it in fit()


def test_the_gaussian_process_proposes_after_three_trials_per_searched_value(tmp_path):
    oracle = _search(Scored, tmp_path)
    assert initial_points(oracle.hyperparameters) == 3
    assert _gaussian_process_fitted(oracle)  # the 4th trial came from the model
    assert oracle.num_initial_points is None  # what it saves still means "the default"


def test_keras_tuner_alone_counts_the_fixed_values_too(tmp_path):
    assert not _gaussian_process_fitted(_search(StockScored, tmp_path))  # the bug fixed above


def test_an_explicit_number_of_random_trials_is_kept(tmp_path):
    oracle = _search(Scored, tmp_path, num_initial_points=10)
    assert oracle.num_initial_points == 10 and not _gaussian_process_fitted(oracle)
