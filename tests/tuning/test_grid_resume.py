"""A reloaded keras-tuner grid search goes on with untried combinations (keras-tuner forgets its
walk through the grid on reload; lstm_automl.tuning._keras_tuner_private rebuilds it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras_tuner as kt
import pytest

from lstm_automl.tuning._keras_tuner_private import rebuild_grid_walk, repair_reloaded_oracle


class ScoreTuner(kt.GridSearch):
    """A grid search whose trials score their values directly: the oracle is what is tested."""

    stop_at: int | None = None

    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> float:
        if self.stop_at is not None and len(self.oracle.trials) == self.stop_at:
            raise KeyboardInterrupt  # as Ctrl-C mid-trial would
        hp = trial.hyperparameters
        return float(hp.get("units")) * (2.0 if hp.get("cell") == "lstm" else 1.0)


def _space(hp: kt.HyperParameters) -> None:
    hp.Choice("cell", ["lstm", "gru"])
    hp.Choice("units", [4, 8, 16])


def _tuner(folder: Path, max_trials: int, repair: bool = True) -> ScoreTuner:
    tuner = ScoreTuner(hypermodel=_space, objective=kt.Objective("score", "min"),
                       max_trials=max_trials, directory=str(folder), project_name="grid",
                       overwrite=False)
    if repair:
        repair_reloaded_oracle(tuner.oracle)
        rebuild_grid_walk(tuner.oracle)
    return tuner


def _tried(tuner: ScoreTuner) -> list[tuple[str, int]]:
    return [(t.hyperparameters.get("cell"), t.hyperparameters.get("units"))
            for t in tuner.oracle.trials.values()]


def test_keras_tuner_alone_stops_a_reloaded_grid(tmp_path: Path) -> None:
    _tuner(tmp_path, 2, repair=False).search(verbose=0)
    again = _tuner(tmp_path, 6, repair=False)
    again.search(verbose=0)
    assert len(again.oracle.trials) == 2  # the bug rebuild_grid_walk exists for


def test_raised_max_trials_continues_the_grid_without_repeats(tmp_path: Path) -> None:
    _tuner(tmp_path, 2).search(verbose=0)
    more = _tuner(tmp_path, 4)
    more.search(verbose=0)
    assert len(more.oracle.trials) == 4
    rest = _tuner(tmp_path, 10)
    rest.search(verbose=0)
    tried = _tried(rest)
    assert sorted(tried) == sorted((c, u) for c in ("lstm", "gru") for u in (4, 8, 16))
    assert all(str(t.status) == "COMPLETED" for t in rest.oracle.trials.values())


def test_interrupted_grid_resumes_and_retries_the_interrupted_trial(tmp_path: Path) -> None:
    first = _tuner(tmp_path, 6)
    first.stop_at = 3
    with pytest.raises(KeyboardInterrupt):
        first.search(verbose=0)
    resumed = _tuner(tmp_path, 6)
    resumed.search(verbose=0)
    assert len(resumed.oracle.trials) == 6
    assert len(set(_tried(resumed))) == 6
    assert all(str(t.status) == "COMPLETED" for t in resumed.oracle.trials.values())


def test_other_oracles_are_left_alone(tmp_path: Path) -> None:
    tuner = kt.RandomSearch(hypermodel=_space, objective=kt.Objective("score", "min"),
                            max_trials=1, directory=str(tmp_path), project_name="random")
    assert rebuild_grid_walk(tuner.oracle) == 0


GRID_SWEEP = """
name: gridext
seed: 3
data: {{source: builtin:nile, lookback: 6, split: {{validation: 10, test: 10}}}}
search:
  cell: {{choice: [lstm, gru]}}
  units: {{choice: [4, 8]}}
tuner: {{algorithm: grid, max_trials: {trials}}}
training: {{epochs: 1}}
tracking: {{register_best: false}}
"""


@pytest.mark.slow
def test_lstm_sweep_run_extends_a_finished_grid_sweep(isolated_workdir: Path, capsys) -> None:
    import mlflow

    from conftest import write_sweep
    from lstm_automl.cli import main

    path = write_sweep(isolated_workdir, GRID_SWEEP.format(trials=2))
    assert main(["run", "-q", str(path)]) == 0
    write_sweep(isolated_workdir, GRID_SWEEP.format(trials=4))
    assert main(["run", "-q", str(path)]) == 0
    mlflow.set_tracking_uri(f"sqlite:///{isolated_workdir / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name("gridext")
    runs = client.search_runs([experiment.experiment_id])
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(runs) - len(children) == 1  # one sweep run, re-attached
    assert sorted((c.data.params["cell"], c.data.params["units"]) for c in children) == [
        ("gru", "4"), ("gru", "8"), ("lstm", "4"), ("lstm", "8")]
