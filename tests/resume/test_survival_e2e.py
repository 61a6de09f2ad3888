"""Sweeps that survive: kill -9, Ctrl-C, a changed sweep, --fresh, a tracking server that dies.

Real processes on 127.0.0.1 (``python -m lstm_automl``, ``mlflow server``), each wait bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from child_processes import (
    START_TIMEOUT,
    env_for_child,
    epochs_logged,
    runs,
    signal_state,
    spawn,
    sqlite_uri,
    store_ready,
    trial_running,
    wait_until,
)
from conftest import write_sweep
from lstm_automl.cli import main

pytestmark = pytest.mark.slow

SWEEP = """
name: {name}
seed: 3
data: {{source: builtin:nile, lookback: 6, split: {{validation: 0.2, test: 0.2}}}}
search:
  cell: {{choice: [gru, lstm]}}
  units: {{choice: [4, 8]}}
  learning_rate: {{float: [1.0e-3, 1.0e-2], log: true}}
tuner: {{algorithm: random, max_trials: {trials}}}
training: {{epochs: {epochs}, early_stopping_patience: null}}
tracking: {{register_best: false{tracking}}}
"""
def sweep_text(name: str, trials: int = 3, epochs: int = 40, tracking: str = "") -> str:
    return SWEEP.format(name=name, trials=trials, epochs=epochs, tracking=tracking)



@pytest.mark.backend_contract  # the killed process and the resuming one: TensorFlow, then JAX
def test_kill_9_mid_trial_then_resume_trains_each_trial_once(tmp_path, capsys):
    path = write_sweep(tmp_path, sweep_text("killed", trials=2))
    process, out = spawn(tmp_path, str(path))
    try:
        wait_until(lambda: store_ready(out) and trial_running(sqlite_uri(tmp_path), "killed", "1"),
                   START_TIMEOUT,
                   process, "trial 2 running", console=out)
    finally:
        process.kill()  # SIGKILL: nothing gets to clean up
        process.wait(timeout=30)
    assert "[2/2]" in out.read_text()

    assert main(["run", str(path)]) == 0
    text = capsys.readouterr().out
    assert "(resumed)" in text and "resuming: 1 trial already ended (1 completed, 0 failed)" in text
    assert "interrupted and retried now: trial-002" in text
    assert "1 orphaned trial run(s) marked KILLED" in text
    assert "[1/2]" not in text and "(retry, attempt 2)" in text
    assert "Leaderboard (2 of 2 trials completed, 1 retried;" in text

    parents, children = runs(sqlite_uri(tmp_path), "killed")
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert parents[0].data.metrics["trials_completed"] == 2
    assert parents[0].data.metrics["trials_retried"] == 1
    finished = [c for c in children if c.info.status == "FINISHED"]
    assert sorted(c.data.tags["trial_id"] for c in finished) == ["0", "1"]
    killed = [c for c in children if c.info.status != "FINISHED"]
    assert [(c.data.tags["trial_id"], c.info.status, c.data.tags["lstm_sweep.orphaned"])
            for c in killed] == [("1", "KILLED", "true")]
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}

    # Run again: complete, nothing trained. Raise max_trials: only the new trial trains (a
    # fresh trial after the retried one: what a third trial of the killed sweep showed).
    assert main(["run", str(path)]) == 0
    assert "is already complete" in capsys.readouterr().out
    write_sweep(tmp_path, sweep_text("killed", trials=3))
    assert main(["run", str(path)]) == 0
    text = capsys.readouterr().out
    assert "[3/3]" in text and "[2/3]" not in text and "[1/3]" not in text
    parents, children = runs(sqlite_uri(tmp_path), "killed")
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert sorted(c.data.tags["trial_id"] for c in children if c.info.status == "FINISHED") == [
        "0", "1", "2"]


def test_ctrl_c_closes_runs_then_changes_are_refused_and_fresh_starts_over(tmp_path, capsys):
    path = write_sweep(tmp_path, sweep_text("ctrlc"))
    process, out = spawn(tmp_path, str(path))
    try:
        # the whole trial is the window (its epochs reach MLflow every 5 s, too late to count on)
        wait_until(lambda: store_ready(out) and trial_running(sqlite_uri(tmp_path), "ctrlc", "0"),
                   START_TIMEOUT, process, "trial 1 running", console=out)
        state = signal_state(process.pid)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 130, state
    finally:
        if process.poll() is None:
            process.kill()
    console = out.read_text()
    assert "interrupted: the running trial's MLflow run was closed as KILLED" in console
    assert f"lstm-sweep run {path}` again to resume" in console
    assert "Traceback" not in console
    parents, children = runs(sqlite_uri(tmp_path), "ctrlc")
    assert [p.info.status for p in parents] == ["KILLED"]
    assert [(c.info.status, c.data.tags.get("status")) for c in children] == [
        ("KILLED", "interrupted")]

    # A changed search space is refused before anything runs, naming what changed.
    write_sweep(tmp_path, sweep_text("ctrlc", epochs=2).replace("[4, 8]", "[4, 16]"))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "search.units:" in err and "[4, 8]" in err and "[4, 16]" in err
    assert "training.epochs: 40 -> 2" in err and "--fresh" in err
    assert len(runs(sqlite_uri(tmp_path), "ctrlc")[0]) == 1

    # --fresh starts over: a new sweep run; the old one stays, pointing at the new one.
    write_sweep(tmp_path, sweep_text("ctrlc", trials=1, epochs=2).replace("[4, 8]", "[4, 16]"))
    assert main(["run", "--fresh", str(path)]) == 0
    text = capsys.readouterr().out
    assert "--fresh: discarded the tuner state in .lstm_sweep/ctrlc (1 trial)" in text
    assert "[1/1]" in text and "resuming" not in text
    parents, children = runs(sqlite_uri(tmp_path), "ctrlc")
    new = next(p for p in parents if p.info.status == "FINISHED")
    old = next(p for p in parents if p.info.run_id != new.info.run_id)
    assert old.info.status == "KILLED"
    assert old.data.tags["lstm_sweep.superseded_by"] == new.info.run_id
    assert old.data.tags["lstm_sweep.sweep_id"] != new.data.tags["lstm_sweep.sweep_id"]
    assert len([c for c in children if c.data.tags["mlflow.parentRunId"] == new.info.run_id]) == 1


def test_tracking_server_lost_mid_sweep_keeps_finished_trials(tmp_path, capsys):
    from lstm_automl.distributed.mlflow_server import free_port, start_server

    port = free_port()
    db = f"sqlite:///{tmp_path / 'server.db'}"
    server = start_server(db, tmp_path / "artifacts", tmp_path / "server.log", port=port)
    uri = server.uri
    path = write_sweep(tmp_path, sweep_text("lost", trials=2,
                                            tracking=f", tracking_uri: '{uri}'"))
    fast = env_for_child(MLFLOW_HTTP_REQUEST_MAX_RETRIES="1",
                         MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR="0",
                         MLFLOW_HTTP_REQUEST_TIMEOUT="5")
    process, out = spawn(tmp_path, str(path), env=fast)
    try:
        wait_until(lambda: epochs_logged(uri, "lost", "1"), START_TIMEOUT, process,
                   "trial 2 logging epochs", console=out)
        server.stop()
        assert process.wait(timeout=180) == 1
    finally:
        server.stop()
        if process.poll() is None:
            process.kill()
    console = out.read_text()
    assert f"tracking store {uri} failed while logging epoch" in console
    assert "every trial that finished is kept in .lstm_sweep/lost" in console
    assert "again: it resumes where it stopped" in console and "Traceback" not in console

    server = start_server(db, tmp_path / "artifacts", tmp_path / "server.log", port=port)
    try:
        assert main(["run", str(path)]) == 0
    finally:
        server.stop()
    text = capsys.readouterr().out
    assert "resuming: 1 trial already ended" in text and "[1/2]" not in text
    assert "[2/2]" in text  # the trial the lost server stopped, trained again
    parents, children = runs(db, "lost")  # the stopped server's own store, read directly
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert sorted(c.data.tags["trial_id"] for c in children if c.info.status == "FINISHED") == [
        "0", "1"]


def test_read_only_store_is_refused_before_training(tmp_path):
    """chmod a folder read-only; root ignores modes, so root drops that capability first."""
    store = tmp_path / "store"
    store.mkdir()
    path = write_sweep(tmp_path, sweep_text("readonly", trials=1, epochs=1,
                                            tracking=f", tracking_uri: 'sqlite:///{store}/m.db'"))
    store.chmod(0o555)
    command = [sys.executable, "-m", "lstm_automl", "run", str(path)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file modes do not apply")
        caps = "-dac_override,-dac_read_search"
        command = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    try:
        done = subprocess.run(command, cwd=tmp_path, env=env_for_child(), capture_output=True,
                              text=True, timeout=300)
    finally:
        store.chmod(0o755)
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"tracking store sqlite:///{store}/m.db: {store}/m.db is not writable" in done.stderr
    assert not (tmp_path / ".lstm_sweep").exists()
    assert not (store / "m.db").exists()


def test_two_workers_on_jax_share_a_sweep_unforked_and_a_killed_worker_resumes_its_trial(
        tmp_path):
    """run --workers 2 on a sqlite store: a local mlflow server, two worker processes; one is
    killed with SIGKILL mid-trial, restarted with its id, and finishes that trial. On JAX, in
    the same sweep (it was a second sweep): the chief has JAX's threads (it built the first
    model) when it starts the server and the workers, and again when it restarts the killed
    one; none of them is forked from it (JAX warned "os.fork() was called ... will likely lead
    to a deadlock" for each)."""
    import re

    # epochs: a trial must outlast the sleep below: JAX (cached programs) took 1.1 s for 30
    # epochs here, too short to kill into, and 1.8 to 5.7 s for 150
    path = write_sweep(tmp_path, sweep_text("pair", trials=4, epochs=300))
    env = env_for_child(KERAS_BACKEND="jax", PYTHONWARNINGS="always::DeprecationWarning")
    process, out = spawn(tmp_path, str(path), "--workers", "2", env=env)
    try:
        wait_until(lambda: "worker-1 (pid" in out.read_text(), START_TIMEOUT, process,
                   "the workers to start", console=out)
        pid = int(re.search(r"worker-1 \(pid (\d+)", out.read_text()).group(1))

        def worker_1_mid_trial() -> bool:
            lines = [line for line in out.read_text().splitlines() if line.startswith("worker-1|")]
            return bool(lines) and lines[-1].startswith("worker-1| [")  # a trial began

        wait_until(worker_1_mid_trial, START_TIMEOUT, process, "worker-1 to start a trial",
                   console=out)
        time.sleep(1)  # into its epochs
        os.kill(pid, signal.SIGKILL)
        assert process.wait(timeout=900) == 0, out.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    console = out.read_text()
    assert "fork()" not in console, [line for line in console.splitlines() if "fork" in line]
    assert "worker-1 died (exit -9); restarted (1 of 3); its trial resumes" in console
    assert "Leaderboard (4 of 4 trials completed, 1 retried;" in console
    assert "1 run(s) marked KILLED" in console

    parents, children = runs(sqlite_uri(tmp_path), "pair")
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    finished = [c for c in children if c.info.status == "FINISHED"]
    assert sorted(c.data.tags["trial_id"] for c in finished) == ["0", "1", "2", "3"]
    assert {c.data.tags["lstm_sweep.tuner_id"] for c in finished} == {"worker-0", "worker-1"}
    assert {c.data.tags["backend"] for c in children} == {"jax"}
    killed = [c for c in children if c.info.status != "FINISHED"]
    assert len(killed) == 1 and killed[0].info.status == "KILLED"
    assert killed[0].data.tags["lstm_sweep.tuner_id"] == "worker-1"
    again = killed[0].data.tags["trial_id"]
    retried = next(c for c in finished if c.data.tags["trial_id"] == again)
    assert retried.data.tags["lstm_sweep.tuner_id"] == "worker-1"
    assert retried.data.tags["lstm_sweep.attempt"] == "2"
    assert not (tmp_path / "mlruns").exists()


# test_workers_on_jax_start_without_forking_a_threaded_process: merged into the test above
# (same --workers 2 sweep on a sqlite store, now on JAX, with the same fork() check).


def test_chief_and_worker_commands_share_a_tracking_server(tmp_path):
    """The several-machines recipe on one machine: a real mlflow server, a chief, a worker that
    finds the sweep run by its tags, and a worker with another sweep file that is refused."""
    from lstm_automl.distributed.mlflow_server import free_port, start_server

    server = start_server(f"sqlite:///{tmp_path / 'server.db'}", tmp_path / "artifacts",
                          tmp_path / "server.log")
    uri, port = server.uri, free_port()
    tracking = f", tracking_uri: '{uri}'"
    path = write_sweep(tmp_path, sweep_text("team", trials=2, epochs=2, tracking=tracking))
    other = write_sweep(tmp_path, sweep_text("team", trials=2, epochs=3, tracking=tracking),
                        name="other.yaml")

    def cli(*args: str) -> tuple[subprocess.Popen[bytes], Path]:
        out = tmp_path / f"{args[0]}-{time.monotonic_ns()}.txt"
        with out.open("wb") as handle:
            process = subprocess.Popen([sys.executable, "-m", "lstm_automl", *args],
                                       cwd=tmp_path, env=env_for_child(), stdout=handle,
                                       stderr=subprocess.STDOUT)
        return process, out

    chief, chief_out = cli("chief", str(path), "--port", str(port))
    processes = [chief]
    try:
        wait_until(lambda: "oracle listening on 127.0.0.1" in chief_out.read_text(),
                   START_TIMEOUT, chief, "the chief to listen")
        stranger, stranger_out = cli("worker", str(other), "--chief", f"127.0.0.1:{port}")
        worker, worker_out = cli("worker", str(path), "--chief", f"127.0.0.1:{port}", "--id",
                                 "solo")
        processes += [stranger, worker]
        assert stranger.wait(timeout=START_TIMEOUT) == 2
        assert "differs from the chief's" in stranger_out.read_text()
        assert worker.wait(timeout=900) == 0, worker_out.read_text()[-3000:]
        assert chief.wait(timeout=120) == 0, chief_out.read_text()[-3000:]
        parents, children = runs(uri, "team")
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        server.stop()
    console = chief_out.read_text()
    assert "lstm-sweep worker" in console and "[2/2] trial-002 completed" in console
    assert "Leaderboard (2 of 2 trials completed;" in console
    assert "solo| [1/2] trial-001" in worker_out.read_text()
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert sorted((c.data.tags["trial_id"], c.info.status, c.data.tags["lstm_sweep.tuner_id"])
                  for c in children) == [("0", "FINISHED", "solo"), ("1", "FINISHED", "solo")]
