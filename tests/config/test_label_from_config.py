"""``data.label_from`` in ``validate`` and ``run``: a good sweep passes and lists its searched
lookback and horizon; each setting that cannot apply (another task, horizon < 1, threshold < 0,
the keys of sequence tables, a sequence source, too few rows for the largest lookback + horizon,
a class that never occurs in training, a relative move from 0) is refused in one line naming the
file and key, exit 2, nothing created; very imbalanced classes are noted. Light: no model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.cli import main

LABEL_FROM = ("label_from: {column: price, lookback: {choice: [8, 16]}, "
              "horizon: {choice: [2, 4]}, threshold: 0.01}")
DATA = f"data: {{task: classify, source: prices.csv, time_column: day, {LABEL_FROM}}}\n"
TUNER = "tuner: {algorithm: random, max_trials: 1, objective: val_loss}\n"


def _prices(folder: Path, rows: int = 200) -> None:
    steps = np.arange(rows)
    price = 100 + 5 * np.sin(2 * np.pi * steps / 17) + 0.02 * steps
    if rows == 201:  # two zero prices: the mean of rows 50, 51 is 0
        price[50:52] = 0.0
    (folder / "prices.csv").write_text("day,price\n" + "".join(
        f"{i},{p:.4f}\n" for i, p in zip(steps, price, strict=True)))


def _check(folder: Path, capsys: pytest.CaptureFixture[str], data: str = DATA,
           command: tuple[str, ...] = ("validate",), search: str = "units: 8",
           extra: str = "") -> tuple[int, str]:
    path = write_sweep(folder, f"name: a\n{data}search: {{{search}}}\n{TUNER}{extra}")
    code = main([*command, str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _nothing_created(folder: Path) -> bool:
    return sorted(p.name for p in folder.iterdir()) == ["prices.csv", "sweep.yaml"]


def test_a_label_from_sweep_validates_and_lists_both_searched_windows(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    _prices(isolated_workdir)
    code, out = _check(isolated_workdir, capsys)
    assert code == 0, out
    assert "valid sweep 'a' (classify" in out
    assert "data.label_from.lookback  choice of 8, 16" in out
    assert "data.label_from.horizon   choice of 2, 4" in out
    assert "classes of the move over the next 2 rows of price" in out


def test_lstm_sweep_data_shows_the_class_counts_of_each_split(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    _prices(isolated_workdir)
    code, out = _check(isolated_workdir, capsys, command=("data",))
    assert code == 0, out
    for split in ("train", "validation", "test"):
        assert f"\n  {split}: rows " in out and "windows; classes down: " in out, split
    assert "baseline last_move" in out and "baseline window_ridge" in out


@pytest.mark.parametrize("data, key", [
    (DATA.replace("task: classify", "task: forecast"), "data.label_from: applies only to "
                                                       "task: classify"),
    (DATA.replace("task: classify", "task: regress"), "data.label_from: applies only to "
                                                      "task: classify"),
    (DATA.replace("horizon: {choice: [2, 4]}", "horizon: 0"), "data.label_from.horizon"),
    (DATA.replace("horizon: {choice: [2, 4]}", "horizon: {choice: [0, 2]}"),
     "data.label_from.horizon"),
    (DATA.replace("threshold: 0.01", "threshold: -0.01"), "data.label_from.threshold"),
    (DATA.replace("threshold: 0.01", "threshold: .nan"), "data.label_from.threshold"),
    (DATA.replace(", threshold: 0.01", ""), "data.label_from.threshold: required"),
    (DATA.replace("threshold: 0.01", "threshold: 0.01, reference: mean"),
     "data.label_from.reference"),
    (DATA.replace("task: classify", "task: classify, window: 8"), "data.window: not with "
                                                                 "data.label_from"),
    (DATA.replace("task: classify", "task: classify, case_column: id"), "data.case_column"),
    (DATA.replace("task: classify", "task: classify, label: y"), "data.label: not with"),
    (DATA.replace("prices.csv", "builtin:GunPoint"), "data.source: builtin:GunPoint is a set "
                                                     "of sequences"),
    (DATA.replace("prices.csv", "generate:copy"), "data.source: data.label_from reads a "
                                                  "series"),
])
def test_what_cannot_apply_is_refused_in_one_line(data: str, key: str, isolated_workdir: Path,
                                                  capsys: pytest.CaptureFixture[str]):
    _prices(isolated_workdir)
    code, out = _check(isolated_workdir, capsys, data, ("validate", "--no-data"))
    lines = [line for line in out.splitlines() if line.strip() and line != "error:"]
    assert code == 2, out
    assert len(lines) == 1 and "sweep.yaml" in lines[0] and key in lines[0], out
    assert _nothing_created(isolated_workdir)


def test_mc_dropout_is_refused(isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    _prices(isolated_workdir)
    code, out = _check(isolated_workdir, capsys, search="units: 8, dropout: 0.2",
                       extra="final_model: {mc_dropout: {samples: 10}}\n")
    assert code == 2 and "final_model.mc_dropout: not with data.label_from" in out, out


@pytest.mark.parametrize("rows, data, says", [
    (200, DATA.replace("[8, 16]", "[8, 160]"),
     "200 rows are too few for lookback 160 + horizon 2"),
    (200, DATA.replace("threshold: 0.01", "threshold: 0.5"),
     "no training window is 'down, up'"),
    (200, DATA.replace("threshold: 0.01", "threshold: 0"), "no training window is 'flat'"),
    (201, DATA, "change: relative divides by m-, which is"),
])
@pytest.mark.parametrize("command", [("validate",), ("run",)])
def test_what_the_data_cannot_give_is_refused_before_anything_is_created(
        rows: int, data: str, says: str, command: tuple[str, ...], isolated_workdir: Path,
        capsys: pytest.CaptureFixture[str]):
    _prices(isolated_workdir, rows)
    code, out = _check(isolated_workdir, capsys, data, command)
    lines = [line for line in out.splitlines() if line.strip() and line != "error:"]
    assert code == 2, out
    assert len(lines) == 1 and "prices.csv: data.label_from" in lines[0] and says in lines[0], \
        out
    assert _nothing_created(isolated_workdir)


def test_very_imbalanced_classes_are_noted(isolated_workdir: Path,
                                           capsys: pytest.CaptureFixture[str]):
    _prices(isolated_workdir)
    code, out = _check(isolated_workdir, capsys,
                       DATA.replace("threshold: 0.01", "threshold: 0.033"))
    assert code == 0, out
    assert "note: data.label_from: the training classes are imbalanced (down" in out


@pytest.mark.parametrize("source, fits", [
    ("builtin:sunspots", True), ("prices.csv", True), ("builtin:GunPoint", False),
    ("generate:copy", False)])
def test_the_json_schema_says_which_sources_a_series_may_come_from(source: str, fits: bool):
    import contextlib
    import io
    import json

    from jsonschema import Draft202012Validator

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema"]) == 0
    validator = Draft202012Validator(json.loads(out.getvalue()))
    sweep = {"name": "a", "data": {"task": "classify", "source": source, "label_from": {
        "column": "price", "threshold": 0.01}}}
    assert (not list(validator.iter_errors(sweep))) == fits
    plain = {"name": "a", "data": {"task": "classify", "source": "builtin:GunPoint"}}
    assert not list(validator.iter_errors(plain))  # without label_from: sequence sets
