"""The fault suite: kill -9 at each phase of a sweep, resume, and get what an uninterrupted run
gets (issue 20): the same trials, each trained to the end once, one sweep run, one registered
version, complete (tags, alias decision, description).

The kill is exact: ``LSTM_SWEEP_FAULT_AT=<phase>`` makes the sweep process SIGKILL itself there
(lstm_automl/faults.py). The killed sweep runs in a child process; the resume and the reference
run in this one. One reference sweep serves the whole module (xdist_group keeps them together).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest

from child_processes import START_TIMEOUT, env_for_child, runs, spawn
from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.faults import FAULT_ENV
from lstm_automl.tracking.tags import (
    CHAMPION_DECISION_TAG,
    REGISTERED_FOR_TAG,
    REGISTRATION_TAG,
    SOURCE_RUN_TAG,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

SWEEP = """
name: faults
seed: 3
data: {{source: builtin:nile, lookback: 6}}
search:
  units: {{choice: [4, 8]}}
  learning_rate: {{float: [1.0e-3, 1.0e-2], log: true}}
tuner: {{algorithm: random, max_trials: 2, directory: "{folder}/state"}}
training: {{epochs: 1, early_stopping_patience: null}}
tracking: {{tracking_uri: "sqlite:///{folder}/mlflow.db", champion_must_beat_baseline: false}}
"""


@dataclass
class Census:
    """What a sweep left in its store, comparable across runs."""

    sweeps: list[str]  # the sweep runs' statuses
    trials: list[tuple[str, str, float]]  # (trial id, its values, its score) of each trial run
    # that finished: the killed sweep's trials ran in a fresh process, the reference's in this
    # one, so an equal census also proves that the same seed samples the same trials with the
    # same scores in a fresh process, whatever this one imported, seeded or trained before
    versions: list[tuple[str | None, ...]]  # each registered version: how complete it is


def census(folder: Path) -> Census:
    uri = f"sqlite:///{folder}/mlflow.db"
    parents, children = runs(uri, "faults")
    trials = sorted((c.data.tags["trial_id"], json.dumps(c.data.params, sort_keys=True),
                     round(c.data.metrics["best_val_loss"], 4))
                    for c in children if c.info.status == "FINISHED")
    versions = mlflow.MlflowClient(uri).search_model_versions("name = 'faults'")
    return Census(sorted(p.info.status for p in parents), trials, [_version(v) for v in versions])


def _version(version) -> tuple[str | None, ...]:
    """Complete (the mark, a description), from the sweep run's own model folder, for what
    finish, with which alias decision."""
    tags = version.tags
    ours = version.run_id == tags.get(SOURCE_RUN_TAG) and \
        version.source.endswith(f"/{version.run_id}/artifacts/model")
    return (tags.get(REGISTRATION_TAG), str(bool(version.description)), str(ours),
            tags.get(REGISTERED_FOR_TAG), tags.get(CHAMPION_DECISION_TAG, ":").split(":")[0])


def sweep_in(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_sweep(folder, SWEEP.format(folder=folder))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Census:
    """The uninterrupted sweep every killed one must end up like."""
    folder = tmp_path_factory.mktemp("reference")
    assert main(["run", str(sweep_in(folder))]) == 0
    found = census(folder)
    assert found.sweeps == ["FINISHED"] and [t[0] for t in found.trials] == ["0", "1"]
    assert [v[:3] for v in found.versions] == [("complete", "True", "True")]
    return found


@pytest.mark.parametrize("phase", ["trial:1", "final", "registration"])
def test_kill_9_at_each_phase_resumes_to_the_uninterrupted_census(tmp_path, capsys, reference,
                                                                    phase):
    path = sweep_in(tmp_path / "sweep")
    process, out = spawn(tmp_path / "sweep", str(path), env=env_for_child(**{FAULT_ENV: phase}))
    try:
        assert process.wait(timeout=START_TIMEOUT) == -9, out.read_text()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
    killed = census(tmp_path / "sweep")
    assert killed.sweeps == ["RUNNING"]
    if phase == "registration":  # the version exists, without its tags or description
        assert killed.versions == [(None, "False", "True", reference.versions[0][3], "")]
    else:
        assert killed.versions == []

    assert main(["run", str(path)]) == 0
    text = capsys.readouterr().out
    assert "(resumed)" in text and "Registered 'faults' version 1" in text
    assert census(tmp_path / "sweep") == reference
    assert main(["run", str(path)]) == 0  # finished: nothing trained, nothing registered again
    assert "is already complete" in capsys.readouterr().out
    assert census(tmp_path / "sweep") == reference
