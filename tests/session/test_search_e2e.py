"""End to end: pruning, budgets, start_with and --set on real keras-tuner sweeps with a real
MLflow sqlite store (tiny: Nile, one 8-unit layer, a few epochs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main

pytestmark = pytest.mark.slow

# One good configuration (the start_with entry) and three far too slow learning rates: whatever
# the seeds, the slow ones lose to the good one from the first epochs on.
SWEEP = """
name: {name}
seed: 3
data: {{source: builtin:nile, lookback: 6, split: {{validation: 0.2, test: 0.2}}}}
search:
  units: 8
  batch_size: 8
  learning_rate: {{choice: [0.03, 0.0001, 0.0002, 0.0003]}}
tuner:
  algorithm: {algorithm}
  max_trials: 4
  pruning: {pruning}
  start_with: [{{learning_rate: 0.03}}]
training: {{epochs: 3, early_stopping_patience: null}}
tracking: {{champion_must_beat_baseline: false}}
"""


def sweep(name: str, algorithm: str = "random",
          pruning: str = "{rule: median, min_epochs: 1, min_trials: 1}") -> str:
    return SWEEP.format(name=name, algorithm=algorithm, pruning=pruning)


def trial_runs(folder: Path, experiment: str) -> tuple[object, object, list[object]]:
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    exp = client.get_experiment_by_name(experiment)
    found = client.search_runs([exp.experiment_id], max_results=100)
    parents = [r for r in found if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1
    children = sorted((r for r in found if "mlflow.parentRunId" in r.data.tags),
                      key=lambda r: r.info.run_name)
    return client, parents[0], children


def oracle_trial(folder: Path, name: str, trial_id: str) -> dict:
    return json.loads((folder / ".lstm_sweep" / name / f"trial_{trial_id}" /
                       "trial.json").read_text())


def test_median_pruning_stops_losers_and_bayesian_still_learns_their_scores(tmp_path, capsys):
    path = write_sweep(tmp_path, sweep("median", algorithm="bayesian"))
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "trial 2 pruned at epoch 1: val_loss" in out and "> median" in out
    assert "Leaderboard (1 of 4 trials completed, 3 pruned;" in out
    assert "What mattered: too few scored trials to tell what mattered: 4, at least 8" in out

    client, parent, children = trial_runs(tmp_path, "median")
    first, *rest = children
    assert float(first.data.params["learning_rate"]) == 0.03  # start_with came first
    assert first.data.tags["status"] == "completed" and "lstm_sweep.stopped" not in first.data.tags
    for run in rest:
        assert run.info.status == "FINISHED" and run.data.tags["status"] == "pruned"
        assert run.data.tags["lstm_sweep.stopped"].startswith("pruned at epoch ")
        assert run.data.metrics["epochs_trained"] < 3
    assert parent.data.metrics["trials_pruned"] == 3
    assert parent.data.params["pruning"] == "median"
    assert parent.data.tags["best_trial"] == first.info.run_name

    # keras-tuner learnt the pruned trials as completed ones, scored with their best value
    pruned = oracle_trial(tmp_path, "median", "1")
    assert pruned["status"] == "COMPLETED" and pruned["score"] is not None
    assert "lstm_sweep.pruned_at" in pruned["metrics"]["metrics"]
    assert pruned["score"] == pytest.approx(rest[0].data.metrics["best_val_loss"])

    assert main(["leaderboard", "median", "--format", "json"]) == 0
    board = json.loads(capsys.readouterr().out)
    statuses = [(t["rank"], t["status"]) for t in board["trials"]]
    assert statuses[0] == (1, "completed") and [s for _, s in statuses[1:]] == ["pruned"] * 3
    assert all(t["stopped"].startswith("pruned at epoch") for t in board["trials"][1:])


def test_asha_pruning_survives_resume_and_set_changes_the_run(tmp_path, capsys, monkeypatch):
    """Also: a resumed (or recycled) process learns the time to keep for the final model from
    the trials that ended before it: it started with none, so a deadline reached before its own
    first completed trial kept nothing (a 10-minute airline sweep ended 88 s late)."""
    from lstm_automl.session import options as sweep_options

    pruning = "{rule: asha, min_epochs: 1, min_trials: 1, reduction_factor: 2}"
    path = write_sweep(tmp_path, sweep("asha", pruning=pruning))
    assert main(["run", str(path), "--set", "tuner.max_trials=3"]) == 0
    first_out = capsys.readouterr().out
    assert "Leaderboard (1 of 3 trials completed, 2 pruned;" in first_out
    assert "(best 1/2 at this rung)" in first_out

    seen = []
    follow = sweep_options.follow_progress

    def spy(tuner, progress, prep=None):
        follow(tuner, progress, prep)
        seen.append((list(progress.budget.finish.trials), progress.budget.finish.seconds(),
                     list(progress.seconds)))

    monkeypatch.setattr(sweep_options, "follow_progress", spy)
    # raising max_trials resumes the same sweep; trial 4 meets the curves of trials 1-3 as the
    # reloaded oracle keeps them, and the start_with entry is not tried again
    assert main(["run", str(path), "--set", "tuner.max_trials=4", "-v"]) == 0
    out = capsys.readouterr().out
    assert "resuming: 3 trials already ended" in out
    assert "[4/4] trial-004" in out and "trial 4 pruned at epoch" in out
    assert "Leaderboard (1 of 4 trials completed, 3 pruned;" in out

    client, parent, children = trial_runs(tmp_path, "asha")
    assert [r.data.tags["status"] for r in children] == ["completed", "pruned", "pruned",
                                                         "pruned"]
    assert sum(float(r.data.params["learning_rate"]) == 0.03 for r in children) == 1
    # before the resumed process trained anything, it knew trials 1-3: all for the time to go,
    # the completed one for the final model's time
    (trials, kept, durations), = seen
    earlier = sorted(r.data.metrics["trial_seconds"] for r in children[:3])
    assert sorted(durations) == pytest.approx(earlier)
    assert trials == pytest.approx([children[0].data.metrics["trial_seconds"]])
    assert kept is not None and kept >= 15  # 5 s + the baselines' 10 s at least
    assert parent.data.tags["lstm_sweep.overrides"] == "tuner.max_trials=4"
    effective = Path(client.download_artifacts(parent.info.run_id, "sweep_effective.yaml",
                                               str(tmp_path))).read_text()
    assert "--set tuner.max_trials=4" in effective and "max_trials: 4" in effective
    assert "pruning" in effective


def test_max_time_ends_the_sweep_on_time_and_still_registers(tmp_path, capsys):
    text = sweep("clock", pruning="none").replace(
        "max_trials: 4", "max_trials: 20\n  max_time: 30s").replace(
        "{choice: [0.03, 0.0001, 0.0002, 0.0003]}", "{float: [0.0001, 0.03], log: true}").replace(
        "epochs: 3,", "epochs: 2000, max_trial_time: 4s,")
    path = write_sweep(tmp_path, text)
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "of 30s left" in out and "to go" in out
    assert "sweep stopped early: tuner.max_time (30s) is used up (" in out
    assert "about 0:15 kept for the final model and evaluation)" in out  # 5 s + baselines' 10 s
    assert "Registered 'clock' version 1" in out

    _, parent, children = trial_runs(tmp_path, "clock")
    assert 2 <= len(children) <= 5  # each cut at 4 s, none started after 30 - 15 s
    seconds = (parent.info.end_time - parent.info.start_time) / 1000
    assert seconds < 30 + 10, seconds  # the whole sweep, evaluation and registry included
    reasons = [r.data.tags.get("lstm_sweep.stopped") for r in children]
    assert "stopped at training.max_trial_time (4s)" in reasons
    assert all(r.data.metrics["epochs_trained"] < 2000 for r in children)
    assert all(r.data.tags["status"] == "completed" for r in children)
    assert parent.data.params["max_time"] == "30s"


# test_a_resumed_sweep_keeps_time_for_its_final_model_from_its_first_trial: merged into the
# asha test above, whose resumed run is spied on the same way (one sweep fewer; it now also
# proves that pruned trials count for the time estimate but not for the final model's).


def test_workers_prune_from_the_chiefs_oracle_and_load_the_same_overrides(tmp_path):
    """run --workers 2: the workers are started with the run's --set items (else the config
    hashes differ and they refuse), and prune against the curves the chief's oracle holds. On
    JAX: its processes start sooner than TensorFlow's, and nothing here is TensorFlow's."""
    from child_processes import env_for_child, finished, runs, spawn, sqlite_uri

    pruning = "{rule: asha, min_epochs: 1, min_trials: 1, reduction_factor: 4}"
    path = write_sweep(tmp_path, sweep("pool", pruning=pruning).replace("max_trials: 4",
                                                                        "max_trials: 2"))
    process, out = spawn(tmp_path, str(path), "--workers", "2", "--set", "tuner.max_trials=4",
                         env=env_for_child(KERAS_BACKEND="jax"))
    console = finished(process, out)
    assert "pruned at epoch 1" in console
    parents, children = runs(sqlite_uri(tmp_path), "pool")
    statuses = sorted(c.data.tags["status"] for c in children if c.info.status == "FINISHED")
    assert len(statuses) == 4 and statuses.count("pruned") >= 2, statuses
    best = next(c for c in children if c.info.run_name == parents[0].data.tags["best_trial"])
    assert float(best.data.params["learning_rate"]) == 0.03
    assert parents[0].data.tags["lstm_sweep.overrides"] == "tuner.max_trials=4"
    assert {c.data.tags["backend"] for c in children} == {"jax"}
