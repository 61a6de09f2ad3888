"""A long sweep in a series of fresh processes: one sweep, one summary, nothing trained twice.

One sweep serves both properties (a recycled sweep reads as one; SIGTERM stops it cleanly and
it resumes): each process costs a TensorFlow import.

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


def test_a_recycled_sweep_reads_as_one_sweep_and_sigterm_stops_it_cleanly_and_it_resumes(
        tmp_path):
    """One sweep proves both: trials 1-2 in a first process, trial 3 in a second one that goes
    on silently (one header, each trial once, no leaderboard yet, nothing trained twice); a
    SIGTERM to the supervisor during trial 3 closes its run as KILLED and the command, run
    again, retries only that trial (in one more process) and prints the one leaderboard."""
    path = write_sweep(tmp_path, SWEEP.format(name="recycled", epochs=20, every=2))
    uri = sqlite_uri(tmp_path)
    process, console = spawn(tmp_path, str(path))
    try:
        wait_until(lambda: store_ready(console) and trial_running(uri, "recycled", "2"),
                   START_TIMEOUT, process, "trial 3 (in the second process) running",
                   console=console)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    out = console.read_text()
    assert process.returncode == 130, out
    assert out.count("lstm-sweep: sweep 'recycled'") == 1
    assert "resuming" not in out and "(resumed)" not in out
    assert [out.count(f"[{n}/3]") for n in (1, 2, 3)] == [1, 1, 1]
    assert "Leaderboard" not in out  # only the last process prints it
    assert "interrupted: the running trial's MLflow run was closed as KILLED" in out
    parents, children = runs(uri, "recycled")
    assert [p.info.status for p in parents] == ["KILLED"]
    assert parents[0].data.tags["lstm_sweep.processes"] == "2"  # trials 1-2, then trial 3
    assert sorted((c.data.tags["trial_id"], c.info.status, c.data.tags["lstm_sweep.attempt"])
                  for c in children) == [("0", "FINISHED", "1"), ("1", "FINISHED", "1"),
                                         ("2", "KILLED", "1")]
    assert all("loss" in c.data.metrics for c in children if c.info.status == "FINISHED")

    done = subprocess.run([sys.executable, "-m", "lstm_automl", "run", str(path)], cwd=tmp_path,
                          env=env_for_child(), capture_output=True, text=True,
                          timeout=3 * START_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "interrupted and retried now: trial-003" in done.stdout
    assert "[1/3]" not in done.stdout and "[2/3]" not in done.stdout
    assert done.stdout.count("Leaderboard (3 of 3 trials completed, 1 retried;") == 1
    assert len(finished_trials(tmp_path, "recycled")) == 3
    parents, children = runs(uri, "recycled")
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert parents[0].data.metrics["trials_completed"] == 3
    assert sorted(c.data.tags["trial_id"] for c in children if c.info.status == "FINISHED") == [
        "0", "1", "2"]
