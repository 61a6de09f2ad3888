"""Light commands (--help, validate, schema) never import TensorFlow, JAX, PyTorch, Keras,
keras-tuner, MLflow or Ray.

Each check runs in a fresh interpreter, since any other test may already have imported them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SWEEPS

HEAVY = ("tensorflow", "keras", "keras_tuner", "mlflow", "jax", "torch", "ray")
PROBE = f"""
import sys
from lstm_automl.cli import main
try:
    rc = main(sys.argv[1:])
except SystemExit as exc:
    rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
bad = [m for m in {HEAVY!r} if m in sys.modules]
print("HEAVY_MODULES=" + repr(bad))
sys.exit(rc)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["validate", str(SWEEPS / "quickstart.yaml")],
    ["validate", "--no-data", str(SWEEPS / "quickstart.yaml")],
    ["schema"],
    ["validate", str(SWEEPS / "detect_example.yaml")],
], ids=["help", "validate", "validate-no-data", "schema", "validate-detect"])
def test_light_commands_do_not_import_frameworks(argv: list[str], isolated_workdir: Path):
    result = _run([sys.executable, "-c", PROBE, *argv], isolated_workdir)
    assert result.returncode == 0, result.stderr
    marker = [line for line in result.stdout.splitlines() if line.startswith("HEAVY_MODULES=")]
    assert marker == ["HEAVY_MODULES=[]"], result.stdout[-2000:]
    assert "Traceback" not in result.stderr
    assert list(isolated_workdir.iterdir()) == []   # nothing written: no mlflow.db, no state
    if argv == ["schema"]:
        schema = json.loads(result.stdout.split("HEAVY_MODULES=")[0])
        assert "search" in schema["properties"]
    if argv[0] == "validate" and "--no-data" not in argv:
        assert f"valid sweep '{Path(argv[-1]).stem}'" in result.stdout
        assert ("test_anomaly_windows: 7" if "detect" in Path(argv[-1]).name else
                "test_range: 1959-01..1960-12") in result.stdout


@pytest.mark.parametrize("kept_out", [
    # Start-up budget (issue 6): the sequence modules load only for classify/regress sweeps.
    "('lstm_automl.data.sequences', 'lstm_automl.data.cases', 'lstm_automl.data.variants') "
    "if m in sys.modules",
    # Start-up budget (issue 25): the runner (session, workers, tuner glue) is for `run` only.
    "sys.modules if m.startswith(('lstm_automl.session', 'lstm_automl.distributed', "
    "'lstm_automl.api._running', 'lstm_automl.tuning'))",
    # Start-up budget (issue 25, validate < 0.3 s): pandas is half of validate's import time;
    # ISO dates are read and their spacing named in NumPy (data/time_index.py).
    "('pandas', 'pyarrow') if m in sys.modules",
    # Start-up budget (issue 25): another command's modules load only when it runs (cli.COMMANDS).
    "sys.modules if m.startswith(('lstm_automl.commands.leaderboard', "
    "'lstm_automl.commands.report', 'lstm_automl.report.html', 'lstm_automl.commands.run'))",
], ids=["sequence-modules", "sweep-runner", "pandas", "other-commands"])
def test_validate_of_the_quickstart_leaves_modules_unloaded(isolated_workdir: Path,
                                                            kept_out: str):
    """validate reads a forecast file and its data, and loads nothing it does not need."""
    probe = PROBE.replace("bad = [m for m in", f"bad = [m for m in {kept_out}] + [m for m in")
    result = _run([sys.executable, "-c", probe, "validate", str(SWEEPS / "quickstart.yaml")],
                  isolated_workdir)
    assert result.returncode == 0, result.stderr
    assert "HEAVY_MODULES=[]" in result.stdout, result.stdout[-2000:]


@pytest.mark.parametrize("user_setting", [None, "2"], ids=["unset", "user-set"])
def test_validate_starts_one_blas_thread_unless_the_user_chose(isolated_workdir: Path,
                                                               user_setting: str | None):
    """Issue 25: OpenBLAS starting a thread per core when numpy loads cost validate ~10 % of
    its time; validate asks for one thread before numpy loads, and keeps a user's setting."""
    probe = PROBE.replace('print("HEAVY_MODULES="',
                          'import os; print("BLAS=" + str(os.environ.get("OPENBLAS_NUM_THREADS")))'
                          '\nprint("HEAVY_MODULES="')
    env = _env()
    env.pop("OPENBLAS_NUM_THREADS", None)
    if user_setting:
        env["OPENBLAS_NUM_THREADS"] = user_setting
    result = subprocess.run([sys.executable, "-c", probe, "validate",
                             str(SWEEPS / "quickstart.yaml")], cwd=isolated_workdir, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"BLAS={user_setting or 1}" in result.stdout.splitlines()


def test_every_subcommand_has_a_function_in_the_command_table():
    """The parser's subcommands and cli.COMMANDS name the same commands, and each entry is a
    function of its module (a typo fails here, not in front of a user)."""
    from lstm_automl import cli

    parser = cli.build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(subcommands) == set(cli.COMMANDS)
    for name in cli.COMMANDS:
        assert callable(cli.command_function(name)), name


def test_python_m_help(isolated_workdir: Path):
    result = _run([sys.executable, "-m", "lstm_automl", "--help"], isolated_workdir)
    assert result.returncode == 0, result.stderr
    assert "usage: lstm-sweep" in result.stdout
    for command in ("run", "validate", "schema"):
        assert command in result.stdout


def test_python_m_without_command_exits_2(isolated_workdir: Path):
    result = _run([sys.executable, "-m", "lstm_automl"], isolated_workdir)
    assert result.returncode == 2
    assert "usage: lstm-sweep" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_subcommand_exits_2(isolated_workdir: Path):
    result = _run([sys.executable, "-m", "lstm_automl", "frobnicate"], isolated_workdir)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "frobnicate" in result.stderr
    assert "Traceback" not in result.stderr


def test_version(isolated_workdir: Path):
    result = _run([sys.executable, "-m", "lstm_automl", "--version"], isolated_workdir)
    assert result.returncode == 0
    assert result.stdout.startswith("lstm-sweep ")


def test_console_script_help(isolated_workdir: Path):
    script = Path(sys.executable).parent / "lstm-sweep"
    if not script.exists():
        pytest.skip("console script not installed next to this interpreter")
    result = _run([str(script), "--help"], isolated_workdir)
    assert result.returncode == 0, result.stderr
    assert "usage: lstm-sweep" in result.stdout


def test_validate_of_a_label_from_sweep_reads_its_series_without_frameworks(
        isolated_workdir: Path):
    result = _run([sys.executable, "-c", PROBE, "validate", str(SWEEPS / "sunspot_moves.yaml")],
                  isolated_workdir)
    assert result.returncode == 0, result.stderr
    assert "HEAVY_MODULES=[]" in result.stdout.splitlines(), result.stdout[-2000:]
    assert "classes of the move over the next 6 rows of sunspots" in result.stdout
    assert list(isolated_workdir.iterdir()) == []
