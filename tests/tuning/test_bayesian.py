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


# --------------------------------------------------------------------------- one outlier


def test_gp_targets_keep_one_outlier_from_flattening_the_rest():
    import numpy as np

    from lstm_automl.tuning.bayesian import gp_targets

    losses = np.array([0.010, 0.012, 0.020, 0.011, 2500.0])
    raw = (losses - losses.mean()) / losses.std()
    logged = gp_targets(losses)
    assert np.allclose(logged, np.log(losses))
    spread = (logged - logged.mean()) / logged.std()
    # Raw, the four good losses sit within 0.0003 standard deviations of each other; on logs
    # they keep their order and a spread the Gaussian process can follow.
    assert np.ptp(raw[:4]) < 1e-3 and np.ptp(spread[:4]) > 0.1
    ranked = gp_targets(np.array([-0.9, -0.8, 0.0, float("nan"), 5.0]))  # negated accuracies
    assert ranked[0] < ranked[1] < ranked[2] < ranked[3]
    assert ranked[3] == ranked[4]  # a non-finite score counts as the worst one
    assert np.all(np.isfinite(ranked)) and abs(ranked.max()) < 3


def _small_space(hp: kt.HyperParameters) -> None:
    hp.Choice("units", [8, 16, 32])
    hp.Int("layers", 1, 2)


def test_the_oracle_proposes_the_untried_point_after_a_huge_outlier(tmp_path):
    """Five of the six points of a small space tried, one of them diverged: the Gaussian
    process must not send the sweep back to a tried point while one is left (keras-tuner's own
    oracle proposes wherever its acquisition peaks, tried or not)."""
    from lstm_automl.tuning import _keras_tuner_private as private

    def oracle_with_history(cls: type) -> Any:
        tuner = cls(hypermodel=_small_space, objective=kt.Objective("val_loss", "min"),
                    max_trials=20, num_initial_points=2, seed=1, directory=str(tmp_path),
                    project_name=cls.__name__)
        tried = [(8, 1), (8, 2), (16, 1), (16, 2), (32, 1)]
        for units, layers in tried:
            loss = 5000.0 if (units, layers) == (8, 2) else 0.01 * (1 + units / 32 + layers / 4)
            private.add_completed_trial(tuner.oracle, {"units": units, "layers": layers},
                                        {"val_loss": loss}, loss)
        return tuner.oracle

    stock = oracle_with_history(kt.BayesianOptimization)
    proposed = stock.populate_space("5")["values"]
    assert private.is_duplicate(stock, proposed)  # the behaviour fixed here
    ours = oracle_with_history(SearchedSpaceBayesianOptimization)
    assert ours.populate_space("5") == {"status": "RUNNING",
                                        "values": {"units": 32, "layers": 2}}
    private.add_completed_trial(ours, {"units": 32, "layers": 2}, {"val_loss": 0.02}, 0.02)
    assert ours.populate_space("6")["status"] == "STOPPED"  # nothing left to try
