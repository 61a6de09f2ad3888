"""Hermetic, seeded tests: each test runs in its own folder with its own MLflow sqlite store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
# No MLflow job runner (huey consumers) beside each `mlflow server` a test starts: unused here.
os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
# One Keras backend per test process, inherited by the processes tests start: TensorFlow unless
# the run says otherwise (CI runs the ``backend_contract`` tests again with KERAS_BACKEND=jax).
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Sweep files that name no preset keep the schema's defaults here (tiny sweeps, exact counts);
# tests/config/test_presets.py exercises the presets, the default `good` included.
os.environ.setdefault("LSTM_SWEEP_PRESET", "none")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SWEEPS = PROJECT_ROOT / "sweeps"


def pytest_configure(config: pytest.Config) -> None:
    """Say at once, in the controlling process, when this pytest and pytest-xdist cannot group
    tests (pytest-xdist issue 1386: 3.8 with pytest 9.2); the check below is the backstop."""
    if config.getoption("dist", "no") != "loadgroup" or not config.getoption(
            "numprocesses", None) or hasattr(config, "workerinput"):
        return  # no test processes, or this is one of them
    from importlib.metadata import version

    from packaging.version import Version

    if Version(version("pytest")) >= Version("9.2") and \
            Version(version("pytest-xdist")) <= Version("3.8.0"):
        raise pytest.UsageError(
            f"pytest {version('pytest')} with pytest-xdist {version('pytest-xdist')} does not "
            f"group tests marked xdist_group (pytest-xdist issue 1386): install the test "
            f"extra's pytest (pip install -e '.[test]', pytest < 9.2)")


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook has named each test's group
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run ungrouped: a test process of ``-n N --dist=loadgroup`` where a test marked
    ``xdist_group`` did not get its group (pytest-xdist issue 1386, pytest 9.2) would build each
    module's shared sweep, server or Ray cluster once per process, and run tests meant to take
    turns at the same time."""
    if not getattr(config.option, "loadgroup", False):
        return  # not an xdist worker of --dist=loadgroup
    lost = [item.nodeid for item in items
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if lost:
        raise pytest.UsageError(
            f"--dist=loadgroup did not group {len(lost)} tests marked xdist_group (e.g. "
            f"{lost[0]}): this pytest and pytest-xdist do not work together (pytest-xdist "
            f"issue 1386); install the test extra's pytest (pip install -e '.[test]')")


@pytest.fixture(autouse=True)
def isolated_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in a temporary folder; MLflow's default store (./mlflow.db) lands there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


@pytest.fixture(autouse=True)
def no_signals_left_blocked(request: pytest.FixtureRequest):
    """Warn, naming the test, when it leaves SIGINT or SIGTERM blocked in this process (the
    children later tests start would inherit the mask and ignore a Ctrl-C), and unblock them."""
    import signal
    import warnings

    yield
    held = signal.pthread_sigmask(signal.SIG_BLOCK, []) & {signal.SIGINT, signal.SIGTERM}
    if held:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
        warnings.warn(f"{request.node.nodeid} left {sorted(s.name for s in held)} blocked",
                      stacklevel=1)


@pytest.fixture(autouse=True)
def mlflow_stores_from_template():
    """Once this process has imported MLflow, new sqlite stores copy a migrated template instead
    of replaying MLflow's migrations each time (tests/mlflow_template.py)."""
    import sys

    if "mlflow" in sys.modules:
        from mlflow_template import install

        install()


@pytest.fixture(autouse=True)
def no_open_mlflow_runs():
    """Fail a test that leaves an MLflow run open (it would leak into the next test)."""
    yield
    import sys

    if "mlflow" in sys.modules:
        import mlflow

        active = mlflow.active_run()
        while mlflow.active_run() is not None:
            mlflow.end_run()
        assert active is None, f"test left MLflow run {active.info.run_id} open"


@pytest.fixture()
def keras_session():
    """Seed Keras and clear its state around a test that builds models.

    ``free_memory=False``: Keras' state (layer names, the default graph, kernel caches) is
    reset all the same; the full ``gc.collect()`` it would add costs ~0.3-0.5 s of CPU per
    call in a test process holding TensorFlow and MLflow, twice per test, and frees nothing a
    test checks (Python's own collector still runs)."""
    import keras

    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(1234)
    yield
    keras.backend.clear_session(free_memory=False)


def write_sweep(folder: Path, text: str, name: str = "sweep.yaml") -> Path:
    """Write a sweep file into ``folder`` and return its path."""
    path = folder / name
    path.write_text(text)
    return path


def run_in(folder: Path, args: list[str]) -> int:
    """``lstm-sweep ARGS`` in-process with ``folder`` as the current one, for a module-scoped
    fixture (before the per-test folder exists); the working folder and MLFLOW_TRACKING_URI
    (which mlflow.set_tracking_uri exports) are put back afterwards."""
    from lstm_automl.cli import main

    saved_cwd, saved_uri = Path.cwd(), os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.chdir(folder)
    try:
        return main(args)
    finally:
        os.chdir(saved_cwd)
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        if saved_uri is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved_uri


def write_series_csv(folder: Path, rows: int = 80, name: str = "series.csv") -> Path:
    """A small seasonal series with a trend, as a CSV with a date column."""
    import math
    from datetime import date, timedelta

    lines = ["day,value,other"]
    for i in range(rows):  # one row a day, no gaps: an uneven spacing is refused
        value = 10 + 0.05 * i + math.sin(2 * math.pi * i / 7)
        lines.append(f"{date(2024, 1, 1) + timedelta(days=i)},{value:.5f},{i % 3}")
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


class InterruptSecondTrial:
    """Ctrl-C during the second trial's first epoch (raised from the per-epoch logger), once."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.fired = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from lstm_automl.tuning import tuners

        original = tuners.EpochLogger.on_epoch_end

        def on_epoch_end(logger: Any, epoch: int, logs: dict[str, Any] | None = None) -> None:
            original(logger, epoch, logs)
            if logger.buffer.run_id not in self.runs:
                self.runs.append(logger.buffer.run_id)
            if len(self.runs) == 2 and not self.fired:
                self.fired = True
                raise KeyboardInterrupt

        monkeypatch.setattr(tuners.EpochLogger, "on_epoch_end", on_epoch_end)
