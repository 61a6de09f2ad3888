"""tuner.warm_start without training: earlier trials (as MLflow logged their params) are fitted
to a changed space, taken or dropped with a reason, and seeded into a real keras-tuner oracle
that learns from them, never proposes them again and keeps them apart from its own trials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras_tuner as kt
import pytest

from lstm_automl.config.schema import SweepConfig
from lstm_automl.model.space import declare_space
from lstm_automl.tuning.oracle_controls import install
from lstm_automl.tuning.tuners import trial_values
from lstm_automl.tuning.warm_start import (
    SEEDED_METRIC,
    Earlier,
    EarlierTrial,
    is_seeded,
    seed,
    seeded_count,
)

OLD = {"cell": {"choice": ["lstm", "gru"]}, "layers": {"int": [1, 2]},
       "units": {"choice": [8, 16, 32], "per_layer": True},
       "learning_rate": {"float": [1.0e-3, 1.0e-1], "log": True}}
NEW = {"cell": {"choice": ["lstm", "gru", "peephole"]}, "layers": {"int": [1, 2]},
       "units": {"choice": [8, 16], "per_layer": True},
       "learning_rate": {"float": [1.0e-3, 1.0e-2], "log": True}}


def space(search: dict[str, Any]) -> kt.HyperParameters:
    specs = SweepConfig.model_validate({"name": "s", "data": {"source": "builtin:nile"},
                                        "search": search}).search.specs()
    hp = kt.HyperParameters()
    declare_space(hp, specs)
    return hp


def logged(number: int, score: float, **values: Any) -> EarlierTrial:
    """An earlier trial's params exactly as its MLflow run holds them (text)."""
    hp = space(OLD)
    hp.values.update(values)
    params = {k: str(v) for k, v in trial_values(hp).items()}
    return EarlierTrial(number, f"trial-{number:03d} x", params, score, pruned=number == 2)


def earlier_trials() -> list[EarlierTrial]:
    fits = logged(1, 0.30, cell="gru", layers=1, units_0=8, learning_rate=0.005)
    pruned_fits = logged(2, 0.50, cell="lstm", layers=2, units_0=16, units_1=8,
                         learning_rate=0.002)
    wide = logged(3, 0.20, cell="lstm", layers=2, units_0=8, units_1=32, learning_rate=0.005)
    fast = logged(4, 0.90, cell="gru", layers=1, units_0=16, learning_rate=0.05)
    extra = logged(5, 0.40, cell="gru", layers=1, units_0=16, learning_rate=0.004)
    extra.params["data.lookback"] = "12"
    again = logged(6, 0.31, cell="gru", layers=1, units_0=8, learning_rate=0.005)
    return [fits, pruned_fits, wide, fast, extra, again]


def bayesian(folder: Path, initial: int = 2) -> kt.Oracle:
    made = kt.oracles.BayesianOptimizationOracle(
        objective=kt.Objective("val_loss", "min"), max_trials=5, num_initial_points=initial,
        seed=3)
    made.update_space(space(NEW))
    made._set_project_dir(str(folder), "oracle")
    install(made, "bayesian", None, [])
    return made


def test_what_fits_is_taken_and_the_rest_dropped_with_the_reason(tmp_path: Path):
    made = bayesian(tmp_path)
    done = seed(made, Earlier("old", "a" * 32, "old", earlier_trials(), unfinished=1))
    assert [t.number for t, _ in done.taken] == [1, 2]
    reasons = {t.number: why for t, why in done.dropped}
    assert reasons == {
        3: "units_1=32: not one of the choices of the new space: 8, 16",
        4: "learning_rate=0.05: outside the new range 0.001..0.01",
        5: "data.lookback is not a hyperparameter of the new space",
        6: "the same values as a trial taken already"}
    lines = done.lines()
    assert lines[0].startswith("warm start from sweep 'old' (run aaaaaaaa, experiment 'old'): "
                               "took 2 of 6 finished trials: trial-001, trial-002")
    assert "  dropped trial-003: units_1=32: not one of the choices" in lines[1]
    assert lines[-1] == "  not used: 1 trial(s) of 'old' that failed or did not finish"
    values = dict(done.taken[0][1])
    assert values["cell"] == "gru" and values["units_0"] == 8 and "units_1" not in values


def test_the_oracle_learns_from_seeded_trials_and_keeps_them_apart(tmp_path: Path):
    made = bayesian(tmp_path, initial=2)
    seed(made, Earlier("old", "a" * 32, "old", earlier_trials()))
    assert seeded_count(made) == 2
    first, second = (made.trials[i] for i in ("0", "1"))
    assert str(first.status) == "COMPLETED" and first.score == pytest.approx(0.30)
    assert first.metrics.get_last_value(SEEDED_METRIC) == 1
    assert made.get_best_trials(5) == []  # not this sweep's own: never its best trial
    # two completed trials = num_initial_points: the Gaussian process proposes the next one
    proposed = made.create_trial("tuner0")
    assert proposed.trial_id == "2" and str(proposed.status) == "RUNNING"
    assert proposed.hyperparameters.values not in (first.hyperparameters.values,
                                                   second.hyperparameters.values)
    made.update_trial(proposed.trial_id, {"val_loss": 0.7})
    proposed.status = "COMPLETED"
    made.end_trial(proposed)
    assert [t.trial_id for t in made.get_best_trials(5)] == ["2"]

    again = kt.oracles.BayesianOptimizationOracle(objective=kt.Objective("val_loss", "min"),
                                                  max_trials=5, seed=3)
    again._set_project_dir(str(tmp_path), "oracle")
    again.reload()  # a resumed sweep keeps the seeding (and does not seed again)
    assert seeded_count(again) == 2 and is_seeded(again.trials["1"])
    assert again._duplicate(dict(first.hyperparameters.values))


@pytest.mark.parametrize("algorithm", ["random", "hyperband"])
def test_other_searches_never_propose_a_seeded_trial(tmp_path: Path, algorithm: str):
    oracles = {"random": kt.oracles.RandomSearchOracle,
               "hyperband": lambda **kw: kt.oracles.HyperbandOracle(max_epochs=4, **kw)}
    made = oracles[algorithm](objective=kt.Objective("val_loss", "min"), seed=5)
    made.update_space(space(NEW))
    made._set_project_dir(str(tmp_path), "oracle")
    install(made, algorithm, None, [])
    seed(made, Earlier("old", "a" * 32, "old", earlier_trials()))
    seeded = [dict(t.hyperparameters.values) for t in made.trials.values()]
    for index in range(4):
        trial = made.create_trial(f"tuner{index}")
        proposed = {k: v for k, v in trial.hyperparameters.values.items()
                    if not k.startswith("tuner/")}
        assert proposed not in seeded
