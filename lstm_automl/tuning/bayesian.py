"""keras-tuner's Bayesian optimisation, with its random start sized by the searched space, its
Gaussian process fitted on a transformed objective, and no point proposed twice.

keras-tuner trains ``num_initial_points`` random trials before its Gaussian process proposes
any, by default 3 per hyperparameter of the space. It counts fixed hyperparameters too, and
lstm-sweep declares every setting of the model (about 20, most of them fixed) so that each trial
records them all: a sweep searching one or two values started with about 63 random trials, so a
``bayesian`` sweep of fewer trials was a random search. The Gaussian process itself only sees the
searched (non-fixed) values, so they are what the default counts here; an explicit
``num_initial_points`` is kept as given.

Then keras-tuner fits its Gaussian process on the raw objective. One diverged trial (a loss of
thousands among losses of hundredths) leaves every other trial at the same standardised value:
the model sees a flat surface, and its best guess stays where it was, so a 10-minute airline
sweep trained one configuration 16 times in 53 trials. keras-tuner never checks that a proposal
is new either. Here the process is fitted on ``gp_targets`` (log of positive losses, normal
scores of the ranks otherwise), and a proposal already tried gives way to the next best
optimum of the acquisition, then to an untried random point.
"""

from __future__ import annotations

from typing import Any

import keras_tuner as kt
import numpy as np

from lstm_automl.tuning import _keras_tuner_private as private

__all__ = ["SearchedSpaceBayesianOptimization", "SearchedSpaceBayesianOracle", "gp_targets",
           "initial_points"]

RESTARTS = 50  # starting points of the acquisition's optimiser, as keras-tuner uses


def initial_points(hyperparameters: kt.HyperParameters) -> int:
    """3 random trials per searched hyperparameter (at least 3), as keras-tuner intends."""
    fixed = kt.engine.hyperparameters.Fixed
    searched = sum(not isinstance(hp, fixed) for hp in hyperparameters.space)
    return max(3 * searched, 3)


def gp_targets(losses: np.ndarray) -> np.ndarray:
    """What the Gaussian process is fitted on, for objectives where lower is better.

    Positive losses: their log, so a loss of 1000 among losses of 0.01 is a few units away and
    not a hundred thousand times the spread. Otherwise (maximised metrics are negated, a loss
    may be zero or negative): normal scores of the ranks, which no single value can dominate.
    Non-finite values count as the worst finite one.
    """
    y = np.asarray(losses, dtype=float).copy()
    finite = np.isfinite(y)
    if not finite.any():
        return np.zeros_like(y)
    y[~finite] = y[finite].max()
    if (y > 0).all():
        return np.log(y)
    from scipy.stats import norm, rankdata

    return np.asarray(norm.ppf((rankdata(y) - 0.5) / len(y)))


class SearchedSpaceBayesianOracle(kt.oracles.BayesianOptimizationOracle):
    """keras-tuner's oracle, whose default random start counts searched values only, whose
    Gaussian process learns from ``gp_targets`` and which proposes only untried points."""

    num_initial_points: int | None

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        completed = [t for t in self.trials.values()
                     if t.status == "COMPLETED" and t.score is not None]
        # Decided per trial: the space grows as trials declare values (deeper layers' units).
        start = self.num_initial_points or initial_points(self.hyperparameters)
        searched = self._searched()
        if len(completed) < start or not searched:
            values = private.random_untried_values(self)
        else:
            values = self._propose(completed, searched)
        if values is None:  # every point of a small space was tried
            return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}
        return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": values}

    def _searched(self) -> list[Any]:
        fixed = kt.engine.hyperparameters.Fixed
        return [hp for hp in self.hyperparameters.space if not isinstance(hp, fixed)]

    def _propose(self, completed: list[Any], searched: list[Any]) -> dict[str, Any] | None:
        """The untried point with the best upper confidence bound (lowest, on losses)."""
        x = np.array([_vector(t.hyperparameters, searched) for t in completed])
        sign = -1.0 if self.objective.direction == "max" else 1.0
        y = gp_targets(np.array([sign * float(t.score) for t in completed]))
        self.gpr.fit(x, y)
        pending = [_vector(t.hyperparameters, searched) for t in private.running_trials(self)]
        if pending:  # another worker trains there: expect it no better than mean + std
            mean, std = self.gpr.predict(np.array(pending), return_std=True)
            self.gpr.fit(np.vstack([x, pending]), np.concatenate([y, mean + std]))
        for vector in self._acquisition_optima(len(searched)):
            values = self.values_at(vector)
            if not private.is_duplicate(self, values):
                return values
        return private.random_untried_values(self)

    def _acquisition_optima(self, dimensions: int) -> list[np.ndarray]:
        """Local optima of the acquisition from ``RESTARTS`` random starts, best first (the
        starts themselves too: a discrete space maps many optima onto one tried point)."""
        from scipy.optimize import minimize

        def bound(vector: np.ndarray) -> float:
            mean, std = self.gpr.predict(vector.reshape(1, -1), return_std=True)
            return float(mean[0] - self.beta * std[0])

        rng = np.random.default_rng((self.seed or 0, len(self.trials)))  # same on a resume
        found: list[tuple[float, np.ndarray]] = []
        for start in rng.uniform(0.0, 1.0, size=(RESTARTS, dimensions)):
            result = minimize(bound, x0=start, bounds=[(0.0, 1.0)] * dimensions,
                              method="L-BFGS-B")
            found.append((float(np.ravel(result.fun)[0]), np.asarray(result.x)))
            found.append((bound(start), start))
        return [vector for _, vector in sorted(found, key=lambda pair: pair[0])]

    def values_at(self, vector: np.ndarray) -> dict[str, Any]:
        """The hyperparameter values a point of the unit cube stands for (fixed ones as fixed,
        inactive conditional ones left out)."""
        hps = kt.HyperParameters()
        fixed = kt.engine.hyperparameters.Fixed
        index = 0
        for hp in self.hyperparameters.space:
            hps.merge([hp])
            if isinstance(hp, fixed):
                value = hp.value
            else:
                value = hp.prob_to_value(float(np.clip(vector[index], 0.0, 1.0)))
                index += 1
            if hps.is_active(hp):
                hps.values[hp.name] = value
        return dict(hps.values)


def _vector(trial_hps: kt.HyperParameters, searched: list[Any]) -> list[float]:
    """A trial's searched values in the unit cube (an inactive or later-declared value: its
    default, as keras-tuner does)."""
    vector = []
    for hp in searched:
        active = trial_hps.is_active(hp) and hp.name in trial_hps.values
        vector.append(float(hp.value_to_prob(trial_hps.values[hp.name] if active
                                             else hp.default)))
    return vector


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
