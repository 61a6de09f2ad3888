"""The resume contract (resume/compatibility.py): which keys decide, and its version.

Every config key has a rule; a sweep stored by the release before versions existed still resumes
when its keys match; one stored by a newer release is refused with one line. Real sweep folders
and a real sqlite MLflow store (the working folder's ./mlflow.db), no training.
"""

from __future__ import annotations

import io
import json

import pytest

from conftest import write_sweep
from lstm_automl.config.schema import ModelConfig, SweepConfig, TrainingConfig, TunerConfig
from lstm_automl.errors import ConfigError
from lstm_automl.resume.compatibility import (
    IDENTITY_VERSION,
    MAY_CHANGE,
    changes,
    check_version,
    rule_of,
)
from lstm_automl.resume.identity import identity_hash
from lstm_automl.resume.state_folder import STATE_FILE, open_folder, run_identity
from lstm_automl.sweep_file.loader import load_sweep
from lstm_automl.tracking.tags import IDENTITY_VERSION_TAG

SWEEP = """
name: versioned
seed: 3
data: {source: builtin:nile, lookback: 6}
search: {units: {choice: [4, 8]}}
tuner: {algorithm: random, max_trials: 2}
training: {epochs: 1}
tracking: {register_best: false}
"""

SECTIONS = ("tuner", "training", "model")  # their keys are decided one by one


def config_keys() -> list[str]:
    nested = {"tuner": TunerConfig, "training": TrainingConfig, "model": ModelConfig}
    keys = []
    for name in SweepConfig.model_fields:
        if name in SECTIONS:
            keys += [f"{name}.{sub}" for sub in nested[name].model_fields]
        else:
            keys.append(name)
    return keys


def test_every_config_key_has_a_resume_rule():
    undecided = [key for key in config_keys() if rule_of(key) is None]
    assert undecided == [], "add them to resume/compatibility.py: MUST_MATCH or MAY_CHANGE"
    assert rule_of("tuner.max_trials") == "may change" and rule_of("name") == "locates"
    assert rule_of("search.units") == "must match" == rule_of("training.epochs")


@pytest.mark.parametrize("tuner", ["{algorithm: random}", "{algorithm: grid, grid_order: even}",
                                   "{algorithm: hyperband, hyperband_iterations: 2}"])
def test_the_identity_holds_exactly_the_keys_that_must_match(tmp_path, tuner):
    text = SWEEP.replace("tuner: {algorithm: random, max_trials: 2}", f"tuner: {tuner}")
    identity = run_identity(load_sweep(write_sweep(tmp_path, text)).config, "min", "f", "h")
    assert {key: rule_of(key) for key in identity if rule_of(key) != "must match"} == {}
    assert not any(key in MAY_CHANGE for key in identity)


def test_a_stored_version_is_read_and_a_newer_one_refused():
    assert check_version(None, "x") == 1 == check_version("", "x")  # before versions existed
    assert check_version(str(IDENTITY_VERSION), "x") == IDENTITY_VERSION
    with pytest.raises(ConfigError) as caught:
        check_version(IDENTITY_VERSION + 1, "sweeps/s.yaml")
    message = str(caught.value)
    assert message.startswith("sweeps/s.yaml: this sweep was written by a newer lstm-sweep")
    assert "upgrade lstm-sweep" in message and "\n" not in message
    assert changes({"seed": "1"}, None, {"seed": "2"}, "x") == ["seed: 1 -> 2"]


def prepared(tmp_path, fresh: bool = False):
    """Step 1 and 2 of the sweep (no training): its folder and its MLflow sweep run."""
    from lstm_automl.console import QUIET, Reporter
    from lstm_automl.session.open_run import open_sweep_run
    from lstm_automl.session.prepare import prepare

    prep = prepare(load_sweep(write_sweep(tmp_path, SWEEP)), fresh=fresh)
    open_sweep_run(prep, Reporter(QUIET, stream=io.StringIO()))
    prep.tracker.abort("KILLED")  # as an interrupted sweep leaves it
    return prep


def state_path(tmp_path):
    return tmp_path / ".lstm_sweep" / "versioned" / STATE_FILE


def test_a_sweep_stored_without_a_version_resumes_when_its_keys_match(tmp_path):
    first = prepared(tmp_path)
    path = state_path(tmp_path)
    stored = json.loads(path.read_text())
    assert stored["identity_version"] == IDENTITY_VERSION
    run_id = first.tracker.parent_run_id
    client = first.tracker.client
    assert client.get_run(run_id).data.tags[IDENTITY_VERSION_TAG] == str(IDENTITY_VERSION)
    # as the release before versions wrote it: no version in the folder, none on the run
    del stored["identity_version"]
    path.write_text(json.dumps(stored))
    client.delete_tag(run_id, IDENTITY_VERSION_TAG)

    again = prepared(tmp_path)
    assert again.resumed and again.parent is not None and again.parent.info.run_id == run_id
    assert json.loads(path.read_text())["identity_version"] == IDENTITY_VERSION
    assert client.get_run(run_id).data.tags[IDENTITY_VERSION_TAG] == str(IDENTITY_VERSION)
    assert json.loads(path.read_text())["sweep_id"] == stored["sweep_id"]


def test_a_sweep_stored_by_a_newer_release_is_refused_with_one_line(tmp_path, capsys):
    from mlflow import MlflowClient

    from lstm_automl.cli import main

    prepared(tmp_path)
    path = state_path(tmp_path)
    newer = {**json.loads(path.read_text()), "identity_version": IDENTITY_VERSION + 1,
             "something_new": {"a": 1}}
    path.write_text(json.dumps(newer))
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    before = client.search_runs([e.experiment_id for e in client.search_experiments()])

    assert main(["run", str(tmp_path / "sweep.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: .lstm_sweep/versioned/{STATE_FILE}: this sweep was written by a "
                   f"newer lstm-sweep (sweep identity version {IDENTITY_VERSION + 1}; this "
                   f"release reads up to "
                   f"{IDENTITY_VERSION}): upgrade lstm-sweep (pip install --upgrade "
                   f"lstm-sweep) to resume it")
    after = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert [r.info.run_id for r in after] == [r.info.run_id for r in before]
    assert json.loads(path.read_text()) == newer  # nothing rewritten


def test_fresh_may_discard_a_sweep_a_newer_release_stored(tmp_path):
    folder = tmp_path / ".lstm_sweep" / "newer"
    identity = {"seed": "5"}
    open_folder(folder, identity, identity_hash(identity), False, "x")
    stored = json.loads((folder / STATE_FILE).read_text())
    (folder / STATE_FILE).write_text(json.dumps({**stored, "identity_version": 99, "new": 1}))
    with pytest.raises(ConfigError, match="upgrade lstm-sweep"):
        open_folder(folder, identity, identity_hash(identity), False, "x")
    fresh = open_folder(folder, identity, identity_hash(identity), True, "x")
    assert not fresh.resumed and fresh.previous is not None
    assert fresh.previous.sweep_id == stored["sweep_id"]
    assert json.loads((folder / STATE_FILE).read_text())["identity_version"] == IDENTITY_VERSION
