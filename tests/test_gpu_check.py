"""The GPU check's parts that need no GPU and no training: the bundle list, the stand-in
environment of the dry run, and the report (bench/gpu_check.sh runs the rest)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import gpu_check  # noqa: E402
import gpu_env  # noqa: E402
import gpu_report  # noqa: E402


def bundle_pins() -> dict[str, str]:
    pins = {}
    for line in (BENCH / "gpu_bundle.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"gpu_bundle.txt: {line!r} is not pinned as NAME==VERSION"
            assert gpu_env.normalise(name) not in pins, f"gpu_bundle.txt: {name} twice"
            pins[gpu_env.normalise(name)] = version
    return pins


def test_the_bundle_carries_only_what_the_gpu_machine_lacks():
    pins = bundle_pins()
    on_machine = gpu_env.machine_packages()
    assert {"jax", "numpy", "pandas", "pyyaml"} <= on_machine
    assert not set(pins) & on_machine, "bundled although the GPU machine has it"
    assert {"keras", "keras-tuner", "mlflow-skinny", "pydantic", "sqlalchemy"} <= set(pins)
    assert "tensorflow" not in pins and "mlflow" not in pins


def test_the_stand_in_environment_holds_only_the_machine_list(tmp_path):
    python, linked, _ = gpu_env.build(tmp_path / "env")
    assert "numpy" in linked and "keras" not in linked
    probe = ("import importlib.util as u, sys; "
             "print(' '.join(m for m in ('numpy', 'yaml', 'keras', 'pydantic', 'mlflow', "
             "'tensorflow') if u.find_spec(m)))")
    found = subprocess.run([str(python), "-c", probe], capture_output=True, text=True,
                           check=True, env={"PATH": "/usr/bin:/bin"}).stdout.split()
    assert found == ["numpy", "yaml"]


def test_the_report_compares_gpu_and_cpu_over_the_trials_both_finished():
    gpu = gpu_report.Step("sweep on GPU", "ok", 30.0, {
        "trials": 3, "completed": 3, "trials_per_hour": 360.0, "kernels": {"lstm": "cudnn"},
        "seconds_by_trial": {"lstm": 2.0, "gru": 4.0, "peephole": 6.0}})
    cpu = gpu_report.Step("sweep on CPU", "timed out", 150.0, {
        "trials": 2, "completed": 2, "trials_per_hour": 100.0, "kernels": {"lstm": "cpu"},
        "seconds_by_trial": {"lstm": 10.0, "gru": 20.0}})
    text = gpu_report.report([gpu, cpu], dry=True, budget=60.0, started=datetime(2026, 1, 1),
                             sets=gpu_check.DRY_SETS, audit=False)
    assert "| sweep on CPU | timed out | 150 |" in text
    # (10 + 20) / (2 + 4): the peephole trial the CPU never reached is left out
    assert re.search(r"sweep on GPU / sweep on CPU: 5\.00x \(over the 2 trials", text)


def test_the_scripts_parse():
    for script in ("gpu_check.sh", "gpu_bundle.sh"):
        subprocess.run(["bash", "-n", str(BENCH / script)], check=True)
    help_text = subprocess.run([sys.executable, str(BENCH / "gpu_check.py"), "--help"],
                               capture_output=True, text=True, check=True).stdout
    assert "--dry-run" in help_text and "--budget" in help_text


@pytest.mark.parametrize("script", ["gpu_bundle.sh"])
def test_the_bundle_script_refuses_unknown_arguments(script):
    done = subprocess.run(["bash", str(BENCH / script), "--no-such-option"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "unknown argument" in done.stderr
