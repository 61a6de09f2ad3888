"""A long sweep in a series of fresh processes: one sweep, one summary, nothing trained twice.

Real processes (``python -m lstm_automl run``), tiny models, a sqlite MLflow store in tmp_path.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from child_processes import (
    START_TIMEOUT,
    env_for_child,
    runs,
    spawn,
    sqlite_uri,
    store_ready,
    trial_running,
    wait_until,
)
from conftest import write_sweep

pytestmark = pytest.mark.slow

SWEEP = """
name: {name}
seed: 3
data: {{source: builtin:nile, lookback: 6, split: {{validation: 0.2, test: 0.2}}}}
search:
  cell: {{choice: [gru, lstm, simple_rnn]}}
  units: {{choice: [4, 8]}}
tuner: {{algorithm: random, max_trials: 3}}
training: {{epochs: {epochs}, early_stopping_patience: null, recycle_every: {every}}}
tracking: {{register_best: false}}
"""


def finished_trials(folder, name: str) -> list[str]:
    statuses = [json.loads(p.read_text())["status"]
                for p in (folder / ".lstm_sweep" / name).glob("trial_*/trial.json")]
    return [s for s in statuses if s == "COMPLETED"]


def test_a_recycled_sweep_reads_as_one_sweep(tmp_path):
    path = write_sweep(tmp_path, SWEEP.format(name="recycled", epochs=2, every=2))
    done = subprocess.run([sys.executable, "-m", "lstm_automl", "run", str(path)], cwd=tmp_path,
                          env=env_for_child(), capture_output=True, text=True,
                          timeout=3 * START_TIMEOUT)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    # One header, each trial once, one leaderboard: the second process goes on silently.
    assert out.count("lstm-sweep: sweep 'recycled'") == 1
    assert "resuming" not in out and "(resumed)" not in out
    assert [out.count(f"[{n}/3]") for n in (1, 2, 3)] == [1, 1, 1]
    assert out.count("Leaderboard (3 of 3 trials completed;") == 1
    assert len(finished_trials(tmp_path, "recycled")) == 3

    parents, children = runs(sqlite_uri(tmp_path), "recycled")
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert parents[0].data.tags["lstm_sweep.processes"] == "2"  # trials 1-2, then trial 3
    assert parents[0].data.metrics["trials_completed"] == 3
    assert sorted(c.data.tags["trial_id"] for c in children) == ["0", "1", "2"]
    assert {c.info.status for c in children} == {"FINISHED"}
    assert {c.data.tags["lstm_sweep.attempt"] for c in children} == {"1"}
    assert all("loss" in c.data.metrics for c in children)


def test_sigterm_to_the_supervisor_stops_the_sweep_cleanly_and_it_resumes(tmp_path):
    path = write_sweep(tmp_path, SWEEP.format(name="stopped", epochs=20, every=1))
    command = [sys.executable, "-m", "lstm_automl", "run", str(path)]
    process, console = spawn(tmp_path, str(path))
    try:
        wait_until(lambda: store_ready(console)
                   and trial_running(sqlite_uri(tmp_path), "stopped", "1"), START_TIMEOUT,
                   process, "trial 2 (in the second process) running", console=console)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    out = console.read_text()
    assert process.returncode == 130, out
    assert "interrupted: the running trial's MLflow run was closed as KILLED" in out
    parents, children = runs(sqlite_uri(tmp_path), "stopped")
    assert [p.info.status for p in parents] == ["KILLED"]
    assert sorted((c.data.tags["trial_id"], c.info.status) for c in children) == [
        ("0", "FINISHED"), ("1", "KILLED")]

    done = subprocess.run(command, cwd=tmp_path, env=env_for_child(), capture_output=True,
                          text=True, timeout=3 * START_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "interrupted and retried now: trial-002" in done.stdout
    assert done.stdout.count("Leaderboard (3 of 3 trials completed, 1 retried;") == 1
    assert len(finished_trials(tmp_path, "stopped")) == 3
