"""The same contract for every tuner in the registry (``lstm_automl.tuning.tuners.TUNERS``).

A tiny sweep finishes, records one run per trial and registers its champion; it resumes after an
interruption without training a finished trial again and ends with the trials, in the same
order, that an uninterrupted sweep with the same seed has; and with ``--workers 2`` no
trial is lost or recorded twice. Hyperband's trials carry their bracket, round and epochs, and
the leaderboard shows them. The algorithms come from the registry, so a new entry is covered
without touching this file. Real Keras training, real keras-tuner, a real MLflow sqlite store
(one for the module, each sweep in its own experiment: creating a store costs seconds).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import InterruptSecondTrial, write_sweep
from lstm_automl.cli import main
from lstm_automl.tuning.tuners import TUNERS

ALGORITHMS = sorted(TUNERS)
# Each algorithm's tests share its baseline sweep, and the --workers tests share one server: each
# group runs on one pytest-xdist worker, so neither is built twice (pyproject's --dist loadgroup).
BY_ALGORITHM = [pytest.param(a, marks=pytest.mark.xdist_group(f"contract-{a}"))
                for a in ALGORITHMS]
SWEEP = """
name: {name}
seed: 7
data: {{source: "generate:adding", task: regress, generate: {{length: 10, samples: 64}}}}
search:
  cell: {{choice: [gru, lstm]}}
  units: {{choice: [4, 8]}}
  learning_rate: {{choice: [0.003, 0.01]}}
tuner: {{algorithm: {algorithm}, max_trials: 3, hyperband_factor: 2}}
training: {{epochs: 2, early_stopping_patience: null, recycle_every: 0}}  # in this process
tracking: {{tracking_uri: "{uri}", register_best: {register},
           champion_must_beat_baseline: false}}
"""
HYPERBAND_PARAMS = ("tuner/bracket", "tuner/round", "tuner/epochs", "tuner/initial_epoch")
_BASELINES: dict[str, tuple[Path, str]] = {}  # algorithm -> (folder, sweep name), run once


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The module's MLflow store."""
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'mlflow.db'}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``mlflow server`` for the module's ``--workers`` sweeps (starting one costs seconds;
    ``run --workers`` starts none in front of a store that is already a server)."""
    from lstm_automl.distributed.mlflow_server import start_server

    folder = tmp_path_factory.mktemp("server")
    running = start_server(f"sqlite:///{folder / 'mlflow.db'}", folder / "artifacts",
                           folder / "server.log")
    try:
        yield running.uri
    finally:
        running.stop()


def sweep_file(folder: Path, store: str, algorithm: str, name: str,
               register: bool = False) -> Path:
    text = SWEEP.format(name=name, algorithm=algorithm, register=str(register).lower(),
                        uri=store)
    return write_sweep(folder, text, f"{name}.yaml")


def oracle_trials(folder: Path, name: str) -> dict[str, str]:
    """Trial id → status, as keras-tuner saved them in the sweep's folder."""
    trials = {}
    for path in (folder / ".lstm_sweep" / name).glob("trial_*/trial.json"):
        data = json.loads(path.read_text())
        trials[data["trial_id"]] = data["status"]
    return trials


def sweep_runs(store: str, name: str) -> tuple[list[Any], list[Any]]:
    """(sweep runs, trial runs) of the experiment named like the sweep."""
    from mlflow import MlflowClient

    client = MlflowClient(store)
    experiment = client.get_experiment_by_name(name)
    assert experiment is not None, f"no experiment {name}"
    runs = client.search_runs([experiment.experiment_id], max_results=500)
    trials = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    return [r for r in runs if r not in trials], trials


def trial_sequence(trial_runs: list[Any]) -> list[tuple[int, dict[str, str]]]:
    """The finished trials' hyperparameters, in trial order."""
    finished = [r for r in trial_runs if r.info.status == "FINISHED"]
    return sorted((int(r.data.tags["trial_number"]), dict(r.data.params)) for r in finished)


def assert_each_trial_once(folder: Path, store: str, name: str) -> list[Any]:
    """Every trial the oracle completed has exactly one finished run, and there are no others."""
    oracle = oracle_trials(folder, name)
    assert oracle and set(oracle.values()) == {"COMPLETED"}, oracle
    parents, trials = sweep_runs(store, name)
    assert [p.info.status for p in parents] == ["FINISHED"]
    finished = Counter(r.data.tags["trial_id"] for r in trials if r.info.status == "FINISHED")
    assert finished == Counter(list(oracle)), (finished, oracle)
    assert parents[0].data.metrics["trials_completed"] == len(oracle)
    return trials


def run_sweep(path: Path, *options: str) -> int:
    return main(["run", "-q", str(path), *options])


def baseline(algorithm: str, store: str, tmp_path_factory: pytest.TempPathFactory,
             ) -> tuple[Path, str]:
    """One uninterrupted, registered sweep per algorithm, shared by the tests of this module."""
    if algorithm not in _BASELINES:
        folder = tmp_path_factory.mktemp(f"baseline-{algorithm}")
        name = f"{algorithm}-base"
        path = sweep_file(folder, store, algorithm, name, register=True)
        here = Path.cwd()
        os.chdir(folder)  # the tuner's folder (./.lstm_sweep) lands there
        try:
            assert run_sweep(path) == 0
        finally:
            os.chdir(here)
        _BASELINES[algorithm] = (folder, name)
    return _BASELINES[algorithm]


@pytest.mark.parametrize("algorithm", BY_ALGORITHM)
def test_a_tiny_sweep_finishes_and_registers(algorithm, store, tmp_path_factory):
    from mlflow import MlflowClient

    folder, name = baseline(algorithm, store, tmp_path_factory)
    trials = assert_each_trial_once(folder, store, name)
    expected = 5 if algorithm == "hyperband" else 3  # hyperband: 2 brackets at max 2 epochs
    assert len(trials) == expected
    champion = MlflowClient(store).get_model_version_by_alias(name, "champion")
    parent = sweep_runs(store, name)[0][0]
    assert parent.info.run_id in champion.description


@pytest.mark.xdist_group("contract-hyperband")
def test_hyperband_trials_record_their_bracket_and_round(store, tmp_path_factory, capsys):
    _, name = baseline("hyperband", store, tmp_path_factory)
    capsys.readouterr()  # the baseline sweep's console, when this test is the one that ran it
    trials = sweep_runs(store, name)[1]
    for run in trials:
        params, metrics = run.data.params, run.data.metrics
        assert set(HYPERBAND_PARAMS) <= set(params), params
        trained = int(params["tuner/epochs"]) - int(params["tuner/initial_epoch"])
        assert metrics["epochs_trained"] == trained, run.info.run_name
    later = [r for r in trials if r.data.params["tuner/round"] != "0"]
    assert later and all(r.data.params["tuner/trial_id"] for r in later)  # continued trials
    assert main(["leaderboard", name, "--tracking-uri", store]) == 0
    table = capsys.readouterr().out
    assert "hyperband" in table.splitlines()[2] and "b1 r1 ep2-2" in table
    assert "short trials are early rounds" in table
    assert main(["leaderboard", name, "--tracking-uri", store, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["trials"]
    assert all(set(row["hyperband"]) == {"bracket", "round", "epochs", "initial_epoch"}
               for row in rows)



@pytest.mark.slow
@pytest.mark.parametrize("algorithm", BY_ALGORITHM)
def test_an_interrupted_sweep_resumes_to_the_same_trials_as_the_same_seed_uninterrupted(
        algorithm, store, tmp_path_factory, isolated_workdir, monkeypatch):
    name = f"{algorithm}-resume"
    path = sweep_file(isolated_workdir, store, algorithm, name)
    interrupt = InterruptSecondTrial()
    interrupt.install(monkeypatch)
    assert run_sweep(path) == 130 and interrupt.fired
    before = oracle_trials(isolated_workdir, name)
    first, second = sorted(before, key=int)  # ids are zero-padded numbers ("0000": hyperband)
    assert (before[first], before[second]) == ("COMPLETED", "RUNNING"), before

    assert run_sweep(path) == 0
    trials = assert_each_trial_once(isolated_workdir, store, name)
    attempts = Counter(r.data.tags["trial_id"] for r in trials)
    assert attempts[first] == 1  # finished before the interruption: not trained again
    retried = sorted((r.data.tags["lstm_sweep.attempt"], r.info.status)
                     for r in trials if r.data.tags["trial_id"] == second)
    assert retried == [("1", "KILLED"), ("2", "FINISHED")]
    # The same seed tries the same trials in the same order: this sweep (a second one with the
    # baseline's seed, in the same process) ends with the baseline's trials, interrupted or not
    # (a separate uninterrupted rerun per algorithm proved no more, for a third sweep each).
    _, base = baseline(algorithm, store, tmp_path_factory)
    first = trial_sequence(sweep_runs(store, base)[1])
    assert len(first) >= 3 and trial_sequence(trials) == first


# random is left out: tests/resume/test_survival_e2e.py::test_two_workers_on_jax_share_a_sweep_\
# unforked_and_a_killed_worker_resumes_its_trial (random, --workers 2, each trial once, both
# workers) and tests/session/test_search_e2e.py::test_workers_prune_from_the_chiefs_oracle_and_\
# load_the_same_overrides (random, --workers 2, 4 finished trials) prove it with more.
@pytest.mark.slow
@pytest.mark.xdist_group("contract-workers")
@pytest.mark.parametrize("algorithm", [a for a in ALGORITHMS if a != "random"])
def test_two_workers_lose_and_duplicate_no_trial(algorithm, server, isolated_workdir):
    name = f"{algorithm}-workers"
    assert run_sweep(sweep_file(isolated_workdir, server, algorithm, name), "--workers", "2") == 0
    trials = assert_each_trial_once(isolated_workdir, server, name)
    assert len(trials) == len(oracle_trials(isolated_workdir, name))  # no failed or extra runs
    assert {r.data.tags["lstm_sweep.tuner_id"] for r in trials} <= {"worker-0", "worker-1"}
    if algorithm == "hyperband":
        assert all(set(HYPERBAND_PARAMS) <= set(r.data.params) for r in trials)
