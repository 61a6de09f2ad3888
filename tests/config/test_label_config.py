"""``task: label`` in ``validate``: a good sweep passes, each setting a per-step model cannot use
is refused in one line naming the file and key, exit 2, nothing created. Light: no model."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main

DATA = "data: {source: generate:regimes, task: label, generate: {length: 20, samples: 40}}\n"
TUNER = "tuner: {algorithm: random, max_trials: 1, objective: val_accuracy}\n"


def _validate(folder: Path, capsys: pytest.CaptureFixture[str], search: str = "units: 8",
              data: str = DATA, tuner: str = TUNER) -> tuple[int, str]:
    path = write_sweep(folder, f"name: a\n{data}search: {{{search}}}\n{tuner}")
    code = main(["validate", "--no-data", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_label_sweep_validates(isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, capsys,
                          "cell: {choice: [lstm, gru]}, bidirectional: {choice: [false, true]}, "
                          "layers: {choice: [1, 2]}, conv_front: true, dense_layers: 1")
    assert code == 0, out
    assert "valid sweep 'a' (label, random search, objective val_accuracy)" in out


def test_macro_f1_is_an_objective_of_label(isolated_workdir: Path,
                                           capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, capsys,
                          tuner=TUNER.replace("val_accuracy", "val_macro_f1"))
    assert code == 0, out


@pytest.mark.parametrize("data, search, tuner, key", [
    (DATA, "fcn_branch: true", TUNER, "search.fcn_branch"),
    (DATA, "fcn_branch: {choice: [false, true]}", TUNER, "search.fcn_branch"),
    (DATA, "output_activation: sigmoid", TUNER, "search.output_activation"),
    (DATA, "residual: naive", TUNER, "search.residual"),
    (DATA, "multi_step: recursive", TUNER, "search.multi_step"),
    (DATA, "units: 8", TUNER.replace("val_accuracy", "val_rmse"), "tuner.objective"),
    (DATA.replace("task: label", "task: label, window: 10"), "units: 8", TUNER, "data.window"),
    ("data: {source: steps.csv, task: label, layout: wide}\n", "units: 8", TUNER,
     "data.layout"),
    (DATA.replace("task: label", "task: label, class_weight: balanced"), "units: 8", TUNER,
     "data.class_weight"),
    (DATA.replace("task: label", "task: lable"), "units: 8", TUNER, "data.task"),
])
def test_what_a_per_step_model_cannot_use_is_refused_in_one_line(
        data: str, search: str, tuner: str, key: str, isolated_workdir: Path,
        capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, capsys, search, data, tuner)
    lines = [line for line in out.splitlines() if line.strip() and line != "error:"]
    assert code == 2, out
    assert len(lines) == 1 and "sweep.yaml" in lines[0] and key in lines[0], out
    assert not list(isolated_workdir.glob("mlflow*")) and not (isolated_workdir / "runs").exists()


def test_a_misspelt_task_offers_label(isolated_workdir: Path,
                                      capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, capsys, data=DATA.replace("task: label", "task: lable"))
    assert code == 2 and "forecast, classify, regress, label" in out and "'label'" in out, out
