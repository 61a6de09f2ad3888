"""Registration is idempotent across a crash (issue 20.7): a finish killed after it created the
model version completes that version when the sweep resumes, instead of adding another.

A real MLflow store (sqlite in the test's folder); the "crash" is the first half of
``register_once`` run on its own, which is what a process killed there leaves behind.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from lstm_automl.tracking import registry
from lstm_automl.tracking.registry import Candidate, register_once
from lstm_automl.tracking.tags import (
    CHAMPION_DECISION_TAG,
    REGISTERED_FOR_TAG,
    REGISTERED_TAG,
    REGISTRATION_TAG,
    SOURCE_RUN_TAG,
)


def _save(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "MLmodel").write_text("flavors: {}\n")


def _candidate() -> Candidate:
    return Candidate(model_name="m", test_metrics={"test_rmse": 1.5}, primary="test_rmse",
                     higher_is_better=False, description="Best of sweep 's'.",
                     tags={"lstm_sweep.verdict": "beats naive"})


@pytest.fixture()
def sweep_run(tmp_path: Path) -> tuple[str, str]:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    experiment = client.create_experiment("s", artifact_location=(tmp_path / "art").as_uri())
    return uri, client.create_run(experiment).info.run_id


def _assert_one_complete_version(uri: str, run_id: str) -> None:
    client = mlflow.MlflowClient(uri)
    versions = client.search_model_versions("name = 'm'")
    assert [str(v.version) for v in versions] == ["1"]
    tags = versions[0].tags
    assert tags[REGISTRATION_TAG] == "complete" and tags[SOURCE_RUN_TAG] == run_id
    assert tags[REGISTERED_FOR_TAG] == "0/3" and tags["test_rmse"] == "1.5"
    assert tags["lstm_sweep.verdict"] == "beats naive"
    assert tags[CHAMPION_DECISION_TAG] == "yes: first registered version"
    assert "Champion: yes (first registered version)" in versions[0].description
    assert str(client.get_model_version_by_alias("m", "champion").version) == "1"
    assert client.get_run(run_id).data.tags[REGISTERED_TAG] == "1"


def test_a_version_left_incomplete_by_a_kill_is_completed_not_duplicated(sweep_run):
    uri, run_id = sweep_run
    client = mlflow.MlflowClient(uri)
    registry._log_model(client, run_id, _save)  # what the killed finish got done
    registry._new_version(client, "m", run_id,
                          {SOURCE_RUN_TAG: run_id, REGISTERED_FOR_TAG: "0/3"})

    done = register_once(uri, run_id, "0/3", _candidate(), _save)
    assert (done.version, done.champion) == ("1", True)
    _assert_one_complete_version(uri, run_id)
    again = register_once(uri, run_id, "0/3", _candidate(), _save)
    assert again.version == "1" and again.champion
    _assert_one_complete_version(uri, run_id)


def test_a_complete_version_the_sweep_run_does_not_name_yet_is_found(sweep_run):
    uri, run_id = sweep_run
    register_once(uri, run_id, "0/3", _candidate(), _save)
    client = mlflow.MlflowClient(uri)
    client.delete_tag(run_id, REGISTERED_TAG)  # killed before the sweep run said so
    client.delete_tag(run_id, REGISTERED_FOR_TAG)
    assert register_once(uri, run_id, "0/3", _candidate(), _save).version == "1"
    _assert_one_complete_version(uri, run_id)


def test_another_finish_of_the_same_run_registers_a_new_version(sweep_run):
    uri, run_id = sweep_run
    register_once(uri, run_id, "0/3", _candidate(), _save)
    later = register_once(uri, run_id, "2/4", _candidate(), _save)  # more trials, new best
    assert later.version == "2"
