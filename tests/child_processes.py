"""Helpers for tests that run ``lstm-sweep`` in child processes and read their MLflow runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

START_TIMEOUT = 300  # seconds for a subprocess to import TensorFlow and reach a trial (slow CI)


def env_for_child(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env.update(extra)
    return env


def spawn(folder: Path, *args: str, env: dict[str, str] | None = None,
          ) -> tuple[subprocess.Popen[bytes], Path]:
    out = folder / f"console-{time.monotonic_ns()}.txt"
    with out.open("wb") as handle:
        # An ignored SIGINT and a signal mask survive fork and exec: pytest started in the
        # background of a shell (`cmd &`, nohup) ignores SIGINT, and so would every sweep it
        # starts; the Ctrl-C test's sweep then ran to its end and exited 0. The child starts
        # with SIGINT at its default (Python turns that into KeyboardInterrupt) and no mask.
        ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        if ignored:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # SIG_DFL after exec
        blocked = signal.pthread_sigmask(signal.SIG_SETMASK, [])
        try:
            process = subprocess.Popen([sys.executable, "-m", "lstm_automl", "run", *args],
                                       cwd=folder, env=env or env_for_child(), stdout=handle,
                                       stderr=subprocess.STDOUT)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            if ignored:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
    return process, out


def finished(process: subprocess.Popen, out: Path, timeout: float = 900) -> str:
    """The child's console once it exited 0 (its tail in the failure otherwise); a child still
    running at the timeout is killed, never left behind."""
    try:
        assert process.wait(timeout=timeout) == 0, out.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    return out.read_text()


def signal_state(pid: int) -> str:
    """The blocked, ignored and caught signal masks of ``pid`` and of this test process, for a
    failure message."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        lines = []
    child = " ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))
    mine = sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, []))
    return f"child {pid}: {child or 'gone'}; this test process blocks {mine or 'nothing'}"


def wait_until(condition: Callable[[], bool], timeout: float, process=None,
               what: str = "", console: Path | None = None) -> None:
    """Poll ``condition``; fail early when ``process`` exits, quoting the end of its console."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process exited ({process.returncode}) before: {what}"
                                 + _console_tail(console))
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for: {what}"
                         + _console_tail(console))


def _console_tail(console: Path | None, lines: int = 40) -> str:
    if console is None or not console.exists():
        return ""
    tail = console.read_text(errors="replace").splitlines()[-lines:]
    return "\n--- the child's console, last lines ---\n" + "\n".join(tail)


def store_ready(console: Path) -> bool:
    """The child has created its MLflow store and sweep run: its header says so.

    Poll a child's sqlite store only after this: opening a store that MLflow is still creating
    runs the same table migration from two processes, and the child's fails (seen in CI as the
    sweep exiting 1 before its first trial)."""
    return console.exists() and "  MLflow: experiment '" in console.read_text(errors="replace")


def runs(uri: str, experiment: str):
    import mlflow

    client = mlflow.MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return [], []
    found = client.search_runs([exp.experiment_id], max_results=500)
    parents = [r for r in found if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in found if "mlflow.parentRunId" in r.data.tags]
    return parents, children


def epochs_logged(uri: str, experiment: str, trial_id: str) -> bool:
    _, children = runs(uri, experiment)
    return any(c.data.tags.get("trial_id") == trial_id and "loss" in c.data.metrics
               for c in children)


def trial_running(uri: str, experiment: str, trial_id: str) -> bool:
    """The trial's run is open: mid-trial on any backend (on JAX a small trial's 40 epochs take
    under a second after its compile, too short to catch its epochs arriving)."""
    _, children = runs(uri, experiment)
    return any(c.data.tags.get("trial_id") == trial_id and c.info.status == "RUNNING"
               for c in children)


def sqlite_uri(folder: Path) -> str:
    return f"sqlite:///{folder / 'mlflow.db'}"


def predict_in_fresh_process(model_uri: str, table: Path, cwd: Path,
                             tracking_uri: str | None = None) -> Any:
    """What ``mlflow.pyfunc.load_model(model_uri).predict(<table as CSV>)`` returns in a new
    Python process that never imported lstm_automl (no PYTHONPATH): only what the model
    carries. Returns a DataFrame."""
    import io

    import pandas as pd

    store = f"mlflow.set_tracking_uri({tracking_uri!r}); " if tracking_uri else ""
    script = (f"import mlflow, pandas as pd, sys; assert 'lstm_automl' not in sys.modules; "
              f"{store}m = mlflow.pyfunc.load_model({model_uri!r}); "
              f"print(m.predict(pd.read_csv({str(table)!r})).to_json())")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=START_TIMEOUT, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return pd.read_json(io.StringIO(done.stdout.strip().splitlines()[-1]))
