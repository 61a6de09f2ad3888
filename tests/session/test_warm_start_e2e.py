"""End to end: a sweep whose space changed is refused with the command that starts a new sweep
warm-started from it; that command, run as printed, seeds the old trials that fit, trains only new
ones, and registers into the same model (real Keras, keras-tuner and MLflow sqlite; tiny)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main

SWEEP = """
name: grow
seed: 4
data: {{source: builtin:nile, lookback: 6, split: {{validation: 0.2, test: 0.2}}}}
search:
  units: {units}
  batch_size: 8
  learning_rate: {{choice: [0.03, 0.01, 0.003]}}
tuner: {{algorithm: bayesian, max_trials: {trials}}}
training: {{epochs: 2, early_stopping_patience: null}}
tracking: {{champion_must_beat_baseline: false}}
"""


@pytest.mark.slow
def test_a_changed_space_offers_a_warm_start_and_the_command_works(tmp_path: Path, capsys):
    path = write_sweep(tmp_path, SWEEP.format(units="{choice: [4, 8]}", trials=3))
    assert main(["run", str(path)]) == 0
    capsys.readouterr()

    path.write_text(SWEEP.format(units="{choice: [4, 6]}", trials=2))  # 8 units dropped
    assert main(["run", str(path)]) == 2
    error = capsys.readouterr().err
    assert "search.units" in error and "--fresh" in error
    command = next(line.strip() for line in error.splitlines()
                   if line.strip().startswith("lstm-sweep run"))
    assert command == (f"lstm-sweep run {path} --set name=grow-2 --set tuner.warm_start=grow "
                       f"--set tracking.experiment=grow --set tracking.register_as=grow")

    assert main(shlex.split(command)[1:]) == 0
    out = capsys.readouterr().out
    took = next(line for line in out.splitlines() if "warm start from sweep 'grow' (run" in line)
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("grow")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    old_trials = [r for r in runs if r.data.tags.get("mlflow.parentRunId") and
                  client.get_run(r.data.tags["mlflow.parentRunId"]).data.tags["sweep"] == "grow"]
    fitting = [r for r in old_trials if r.data.params["units"] == "4"]
    assert f"took {len(fitting)} of 3 finished trials" in took
    assert out.count("dropped trial-") == 3 - len(fitting)
    assert "units=8: not one of the choices of the new space: 4, 6" in out

    parent = next(r for r in runs if r.data.tags.get("sweep") == "grow-2"
                  and "mlflow.parentRunId" not in r.data.tags)
    new_trials = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(new_trials) == 2  # max_trials counts the trials this sweep trains
    assert parent.data.params["warm_start"] == "grow"
    seeded_values = {(r.data.params["units"], r.data.params["learning_rate"]) for r in fitting}
    trained = {(r.data.params["units"], r.data.params["learning_rate"]) for r in new_trials}
    assert not seeded_values & trained  # nothing the old sweep learnt is trained again
    assert parent.data.tags["best_trial"] in {r.info.run_name for r in new_trials}
    text = Path(client.download_artifacts(parent.info.run_id, "warm_start.txt",
                                           str(tmp_path))).read_text()
    assert text.startswith("warm start from sweep 'grow'")
    folder = tmp_path / ".lstm_sweep" / "grow-2"
    seeded = [json.loads(p.read_text()) for p in sorted(folder.glob("trial_*/trial.json"))]
    assert sum("lstm_sweep.seeded_from" in t["metrics"]["metrics"] for t in seeded) == len(
        fitting)
    versions = client.search_model_versions("name = 'grow'")
    assert len(versions) == 2  # the new sweep registered into the same model

    # run again: it resumes, seeds nothing twice, trains nothing more
    assert main(shlex.split(command)[1:]) == 0
    assert "warm start from sweep" not in capsys.readouterr().out


def test_warm_start_names_a_sweep_the_store_has(tmp_path: Path, capsys):
    path = write_sweep(tmp_path, SWEEP.format(units=4, trials=1).replace(
        "max_trials: 1}", "max_trials: 1, warm_start: nowhere}"))
    assert main(["run", str(path)]) == 2
    error = capsys.readouterr().err
    assert "tuner.warm_start: no sweep named 'nowhere' in the tracking store" in error
    assert not (tmp_path / ".lstm_sweep").exists()  # refused before anything was created


@pytest.mark.parametrize("setting, problem", [
    ("tuner.warm_start=grow", "tuner.warm_start: 'grow' is this sweep's own name"),
    ("tuner.algorithm=grid", "tuner.warm_start: grid search walks the space in its own order"),
])
def test_warm_start_settings_that_cannot_work_are_refused(tmp_path: Path, capsys,
                                                          setting: str, problem: str):
    path = write_sweep(tmp_path, SWEEP.format(units=4, trials=1))
    extra = [] if setting.startswith("tuner.warm_start") else ["--set", "tuner.warm_start=old"]
    assert main(["validate", str(path), "--no-data", "--set", setting, *extra]) == 2
    assert problem in capsys.readouterr().err
