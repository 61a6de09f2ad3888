"""keras-tuner's Bayesian optimisation, with its random start sized by the searched space.

keras-tuner trains ``num_initial_points`` random trials before its Gaussian process proposes
any, by default 3 per hyperparameter of the space. It counts fixed hyperparameters too, and
lstm-sweep declares every setting of the model (about 20, most of them fixed) so that each trial
records them all: a sweep searching one or two values started with about 63 random trials, so a
``bayesian`` sweep of fewer trials was a random search. The Gaussian process itself only sees the
searched (non-fixed) values, so they are what the default counts here; an explicit
``num_initial_points`` is kept as given. Only public keras-tuner API is used: a ``Tuner`` with a
custom oracle, as keras-tuner documents.
"""

from __future__ import annotations

from typing import Any

import keras_tuner as kt

__all__ = ["SearchedSpaceBayesianOptimization", "SearchedSpaceBayesianOracle", "initial_points"]


def initial_points(hyperparameters: kt.HyperParameters) -> int:
    """3 random trials per searched hyperparameter (at least 3), as keras-tuner intends."""
    fixed = kt.engine.hyperparameters.Fixed
    searched = sum(not isinstance(hp, fixed) for hp in hyperparameters.space)
    return max(3 * searched, 3)


class SearchedSpaceBayesianOracle(kt.oracles.BayesianOptimizationOracle):
    """keras-tuner's oracle, whose default random start counts searched values only."""

    num_initial_points: int | None

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        if self.num_initial_points is not None:
            return super().populate_space(trial_id)  # type: ignore[no-any-return]
        # Decided per trial: the space grows as trials declare values (deeper layers' units).
        self.num_initial_points = initial_points(self.hyperparameters)
        try:
            return super().populate_space(trial_id)  # type: ignore[no-any-return]
        finally:
            self.num_initial_points = None  # what the oracle saves stays "the default"


class SearchedSpaceBayesianOptimization(kt.Tuner):
    """``kt.BayesianOptimization`` with ``SearchedSpaceBayesianOracle`` (same arguments)."""

    def __init__(self, hypermodel: Any = None, objective: Any = None, max_trials: int = 10,
                 num_initial_points: int | None = None, alpha: float = 1e-4, beta: float = 2.6,
                 seed: int | None = None, hyperparameters: kt.HyperParameters | None = None,
                 tune_new_entries: bool = True, allow_new_entries: bool = True,
                 max_retries_per_trial: int = 0, max_consecutive_failed_trials: int = 3,
                 **kwargs: Any) -> None:
        oracle = SearchedSpaceBayesianOracle(
            objective=objective, max_trials=max_trials, num_initial_points=num_initial_points,
            alpha=alpha, beta=beta, seed=seed, hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries, allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials)
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)
