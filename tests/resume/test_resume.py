"""Resuming without training: sweep identity, the sweep folder, oracle repair, MLflow recovery."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import write_sweep
from lstm_automl.errors import ConfigError, SweepChangedError, SweepLookupError
from lstm_automl.resume.identity import describe_changes, identity_hash
from lstm_automl.resume.state_folder import (
    STATE_FILE,
    open_folder,
    read_state,
    run_identity,
)
from lstm_automl.sweep_file.loader import load_sweep
from lstm_automl.tuning._keras_tuner_private import repair_reloaded_oracle

SWEEP = """
name: ident
seed: 5
description: first
data: {source: builtin:nile, lookback: 6}
search:
  cell: {choice: [lstm, gru]}
  units: {choice: [4, 8]}
tuner: {algorithm: random, max_trials: 3}
training: {epochs: 2}
"""


def identity_of(folder: Path, text: str) -> dict[str, str]:
    loaded = load_sweep(write_sweep(folder, text))
    return run_identity(loaded.config, "min", "fingerprint")


def test_harmless_changes_keep_the_identity(tmp_path):
    base = identity_of(tmp_path, SWEEP)
    harmless = SWEEP.replace("max_trials: 3", "max_trials: 9, max_consecutive_failures: 5") \
        .replace("description: first", "description: second") \
        .replace("training: {epochs: 2}", "training: {epochs: 2, recycle_every: 3}") \
        + "tracking: {experiment: other, register_best: false}\n"
    assert identity_of(tmp_path, harmless) == base


def test_changes_that_change_trials_are_named(tmp_path):
    base = identity_of(tmp_path, SWEEP)
    changed = identity_of(tmp_path, SWEEP.replace("units: {choice: [4, 8]}",
                                                  "units: {choice: [4, 16]}")
                          .replace("seed: 5", "seed: 6").replace("epochs: 2", "epochs: 3"))
    lines = describe_changes(base, changed)
    assert [line.split(":")[0] for line in lines] == ["search.units", "seed", "training.epochs"]
    assert "[4, 8]" in lines[0] and "[4, 16]" in lines[0]
    assert identity_hash(base) != identity_hash(changed)


def test_settings_unknown_to_one_side_are_not_a_change():
    assert describe_changes({"a": "1"}, {"a": "1", "new.setting": "2"}) == []
    assert describe_changes({"data.content": "x", "data.lookback": "6"},
                            {"data.content": "y", "data.lookback": "5"}) == [
        "data.lookback: 6 -> 5"]
    assert "the data itself changed" in describe_changes({"data.content": "x"},
                                                         {"data.content": "y"})[0]


def test_open_folder_starts_resumes_refuses_and_starts_fresh(tmp_path):
    folder = tmp_path / ".lstm_sweep" / "ident"
    identity = {"seed": "5", "search.units": "[4, 8]"}
    first = open_folder(folder, identity, identity_hash(identity), False, "lstm-sweep run s.yaml")
    assert not first.resumed and (folder / STATE_FILE).exists()
    (folder / "trial_0").mkdir()
    (folder / "trial_0" / "trial.json").write_text("{}")

    again = open_folder(folder, identity, identity_hash(identity), False, "x")
    assert again.resumed and again.state.sweep_id == first.state.sweep_id

    changed = {**identity, "search.units": "[4, 16]"}
    with pytest.raises(SweepChangedError) as refused:
        open_folder(folder, changed, identity_hash(changed), False, "lstm-sweep run s.yaml")
    assert refused.value.exit_code == 2
    message = str(refused.value)
    assert "search.units: [4, 8] -> [4, 16]" in message
    assert "lstm-sweep run s.yaml --fresh" in message and "new name" in message

    fresh = open_folder(folder, changed, identity_hash(changed), True, "x")
    assert not fresh.resumed and fresh.state.sweep_id != first.state.sweep_id
    assert fresh.previous is not None and fresh.previous.sweep_id == first.state.sweep_id
    assert "discarded the tuner state" in fresh.notes[0] and "(1 trial)" in fresh.notes[0]
    assert not (folder / "trial_0").exists()
    assert read_state(folder).identity == changed


def test_a_folder_without_identity_is_refused_and_kept(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "oracle.json").write_text("{}")
    for fresh in (False, True):
        with pytest.raises(ConfigError) as refused:
            open_folder(folder, {"seed": "1"}, "h", fresh, "x", source="s.yaml")
        assert refused.value.exit_code == 2 and "has no lstm_sweep.json" in str(refused.value)
    assert (folder / "oracle.json").exists()


def test_state_file_is_written_atomically(tmp_path):
    folder = tmp_path / "s"
    opened = open_folder(folder, {"seed": "1"}, "h", False, "x")
    opened.state.parent_run_id = "abc"
    opened.state.save()
    assert json.loads((folder / STATE_FILE).read_text())["parent_run_id"] == "abc"
    assert [p.name for p in folder.iterdir()] == [STATE_FILE]


def _oracle(statuses: dict[str, str], queue: list[str], end_order: list[str]) -> SimpleNamespace:
    trials = {tid: SimpleNamespace(status=s) for tid, s in statuses.items()}
    return SimpleNamespace(trials=trials, _retry_queue=list(queue), end_order=list(end_order),
                           start_order=list(statuses))


def test_repair_retries_only_trials_that_did_not_finish():
    # "1" finished but was still listed as ongoing (killed between keras-tuner's two writes);
    # "3" was saved RUNNING but never made it into oracle.json; "2" is a normal interruption.
    oracle = _oracle({"0": "COMPLETED", "1": "COMPLETED", "2": "RUNNING", "3": "RUNNING"},
                     queue=["1", "2"], end_order=["0"])
    assert repair_reloaded_oracle(oracle) == ["2", "3"]
    assert oracle._retry_queue == ["3", "2"]  # popped from the end: "2" runs first
    assert oracle.end_order == ["0", "1"]


def test_reconcile_closes_orphans_and_finishes_what_the_oracle_finished(tmp_path):
    from lstm_automl.results.trial_record import TrialRecord
    from lstm_automl.resume.recovery import ORPHAN_TAG, RECOVERED_TAG, OracleTrial, reconcile
    from lstm_automl.tracking.runs import SweepTracker

    tracker = SweepTracker(f"sqlite:///{tmp_path / 'mlflow.db'}", "recon")
    tracker.start_sweep("recon", {"seed": 1}, {"sweep": "recon"}, "name: recon\n", "space\n")
    runs = {}
    for tid in ("0", "1", "2"):
        record = TrialRecord(number=int(tid) + 1, trial_id=tid, run_id="", name=f"trial-{tid}",
                             values={"cell": "gru"})
        runs[tid] = tracker.start_trial(record, {})
    done = TrialRecord(number=1, trial_id="0", run_id=runs["0"], name="trial-0", values={},
                       status="COMPLETED", score=0.5)
    tracker.end_trial(done, "val_loss")
    trials = {"0": OracleTrial("COMPLETED", 0.5), "1": OracleTrial("COMPLETED", 0.25),
              "2": OracleTrial("RUNNING")}
    fixed = reconcile(tracker, trials, "val_loss")
    assert fixed.recovered == [runs["1"]] and fixed.killed == [runs["2"]]
    client = tracker.client
    one, two = client.get_run(runs["1"]), client.get_run(runs["2"])
    assert one.info.status == "FINISHED" and one.data.tags[RECOVERED_TAG] == "true"
    assert one.data.metrics["best_val_loss"] == 0.25
    assert two.info.status == "KILLED" and two.data.tags[ORPHAN_TAG] == "true"
    assert client.get_run(runs["0"]).info.status == "FINISHED"
    assert reconcile(tracker, trials, "val_loss").killed == []  # idempotent
    tracker.abort("KILLED")


def test_find_sweep_by_remembered_id_or_by_tag(tmp_path):
    from lstm_automl.tracking.runs import SweepTracker
    from lstm_automl.tracking.tags import SWEEP_ID_TAG

    tracker = SweepTracker(f"sqlite:///{tmp_path / 'mlflow.db'}", "find")
    run_id = tracker.start_sweep("find", {}, {SWEEP_ID_TAG: "abc"}, "x", "y")
    tracker.abort("KILLED")
    assert tracker.find_sweep("abc", run_id).info.run_id == run_id
    assert tracker.find_sweep("abc", None).info.run_id == run_id
    assert tracker.find_sweep("abc", "0" * 32).info.run_id == run_id  # unknown id: by tag
    assert tracker.find_sweep("other", run_id) is None


def test_report_store_finds_the_sweep_run_the_same_way(tmp_path):
    from mlflow import MlflowClient

    from lstm_automl.tracking.read_back import find_sweep
    from lstm_automl.tracking.runs import SweepTracker
    from lstm_automl.tracking.tags import SWEEP_ID_TAG

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    tracker = SweepTracker(uri, "exp")
    run_id = tracker.start_sweep("find", {}, {SWEEP_ID_TAG: "abc", "sweep": "find"}, "x", "y")
    tracker.abort("KILLED")
    client = MlflowClient(uri)
    for ref in (None, "find", "exp", run_id):
        assert find_sweep(client, ref).info.run_id == run_id
    with pytest.raises(SweepLookupError, match="sweeps in this store: find"):
        find_sweep(client, "nope")


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "--workers: must be at least 1"),
    (["--workers", "3", "--gpus", "0,1"], "3 workers for 2 GPUs"),
    (["--gpus", ","], "--gpus: expected GPU ids"),
])
def test_worker_options_are_checked_before_anything_runs(tmp_path, capsys, argv, message):
    from lstm_automl.cli import main

    path = write_sweep(tmp_path, SWEEP)
    assert main(["run", str(path), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / ".lstm_sweep").exists()


def test_chief_needs_a_tracking_server_workers_can_reach(tmp_path, capsys):
    from lstm_automl.cli import main

    path = write_sweep(tmp_path, SWEEP)
    assert main(["chief", str(path)]) == 2
    err = capsys.readouterr().err
    assert "needs a tracking server every worker can reach" in err and "--workers N" in err
    assert not (tmp_path / ".lstm_sweep").exists()


def test_prefixed_stream_marks_every_line():
    import io

    from lstm_automl.distributed.workers import Prefixed

    sink = io.StringIO()
    stream = Prefixed(sink, "w1| ")
    print("one\ntwo", file=stream)
    print("three", end="", file=stream)
    print(" more", file=stream)
    assert sink.getvalue() == "w1| one\nw1| two\nw1| three more\n"


def test_pool_gives_each_worker_an_id_a_gpu_and_the_sweep_run(monkeypatch):
    from lstm_automl.console import Reporter
    from lstm_automl.distributed import worker_pool as workers

    started: list[tuple[list[str], dict[str, str]]] = []

    class FakeProcess:
        pid = 4242

        def __init__(self, command, env):  # no preexec_fn: no fork of a threaded process
            started.append((command, env))

        def poll(self):
            return None

    monkeypatch.setattr(workers.subprocess, "Popen", FakeProcess)
    tracker = SimpleNamespace(parent_run_id="parent123", uri="http://127.0.0.1:5999")
    pool = workers.WorkerPool(2, ["3", "5"], "s.yaml", tracker, Reporter(stream=io_sink()))
    pool.start(7777, dict)
    assert [env["KERASTUNER_TUNER_ID"] for _, env in started] == ["worker-0", "worker-1"]
    assert [env["CUDA_VISIBLE_DEVICES"] for _, env in started] == ["3", "5"]
    for command, env in started:
        assert env[workers.PARENT_ENV] == "parent123" and env[workers.URI_ENV] == tracker.uri
        assert env["KERASTUNER_ORACLE_IP"] == "127.0.0.1"
        assert env["KERASTUNER_ORACLE_PORT"] == "7777"
        assert command[-5:] == ["s.yaml", "--chief", "127.0.0.1:7777", "--id",
                                env["KERASTUNER_TUNER_ID"]]


def test_a_worker_that_refuses_the_sweep_is_exit_2(monkeypatch):
    """A worker exits 2 on a usage, config or data error (a model function that calls
    sys.exit, say): the command exits 2 as well, not 1 as if the sweep had failed."""
    from lstm_automl.console import Reporter
    from lstm_automl.distributed import worker_pool as workers
    from lstm_automl.errors import LstmSweepError

    class Refusing:
        pid, returncode = 4243, 2

        def __init__(self, command, env):
            pass

        def poll(self):
            return 2

    monkeypatch.setattr(workers.subprocess, "Popen", Refusing)
    tracker = SimpleNamespace(parent_run_id="parent123", uri="http://127.0.0.1:5999")
    pool = workers.WorkerPool(1, None, "s.yaml", tracker, Reporter(stream=io_sink()))
    pool.start(7777, dict)
    with pytest.raises(LstmSweepError) as caught:
        pool.supervise()
    assert caught.value.exit_code == 2
    assert str(caught.value) == "s.yaml: worker-0 refused the sweep (exit 2; its message is above)"


def io_sink():
    import io

    return io.StringIO()


def test_numbers_spelled_as_int_or_float_are_not_a_change():
    # The loader now gives search values their parameter's type: dropout: 0 is stored as 0.0.
    assert describe_changes({"search.dropout": "0", "search.clipnorm": '{"choice": [null, 1]}'},
                            {"search.dropout": "0.0",
                             "search.clipnorm": '{"choice": [null, 1.0]}'}) == []
    assert describe_changes({"search.conv_front": "1"}, {"search.conv_front": "true"}) == [
        "search.conv_front: 1 -> true"]
    assert describe_changes({"search.dropout": "0.1"}, {"search.dropout": "0.2"}) != []
