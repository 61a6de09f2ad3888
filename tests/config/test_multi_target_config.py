"""``data.target`` as a list: validate, the JSON Schema and the resume identity agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.resume.identity import describe_changes, sweep_identity
from lstm_automl.sweep_file.json_schema import sweep_schema
from lstm_automl.sweep_file.loader import load_sweep
from lstm_automl.sweep_file.yaml_text import parse_yaml

HEAD = "name: two\ndata: {source: two.csv, time_column: step, target: %s}\n"


def _two_columns(folder: Path) -> None:
    rows = "\n".join(f"{i},{100 + i % 7},{20 + i % 5}" for i in range(80))
    (folder / "two.csv").write_text(f"step,load,temp\n{rows}\n")


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(sweep_schema())


def test_a_list_of_targets_validates_and_fits_the_schema(isolated_workdir, validator, capsys):
    _two_columns(isolated_workdir)
    text = HEAD % "[load, temp]"
    assert main(["validate", str(write_sweep(isolated_workdir, text))]) == 0
    out = capsys.readouterr().out
    assert "two.csv, load, temp; windows" in out and "target: load,temp" in out
    assert "features: load,temp" in out  # the inputs default to the targets
    assert list(validator.iter_errors(parse_yaml(text, "two.yaml"))) == []


@pytest.mark.parametrize("target, search, key, message", [
    ("[load, load]", "", "data.target", "'load' is listed twice"),
    ("[]", "", "data.target", "a list of distinct column names"),
    ("[load, 3]", "", "data.target", "a list of distinct column names"),
    ("[load, temp]", "search: {window_norm: last}", "search.window_norm",
     "not with several data.target columns"),
    ("[load, temp]", "search: {residual: {choice: [none, naive]}}", "search.residual",
     "not with several data.target columns"),
    ("[load, temp]", "search: {multi_step: recursive}", "search.multi_step",
     "not with several data.target columns"),
])
def test_bad_target_lists_are_refused_in_one_line(target, search, key, message, validator,
                                                  isolated_workdir, capsys):
    _two_columns(isolated_workdir)
    text = HEAD % target + search + "\n"
    path = write_sweep(isolated_workdir, text)
    before = _snapshot(isolated_workdir)
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    line = next(line for line in lines if key in line)
    assert str(path) in line and f"{key}:" in line and message in line, lines
    assert "Traceback" not in "\n".join(lines)
    assert _snapshot(isolated_workdir) == before  # nothing created
    assert list(validator.iter_errors(parse_yaml(text, "bad.yaml")))  # the editor flags it


def test_a_missing_target_column_names_the_file_and_key(isolated_workdir, capsys):
    _two_columns(isolated_workdir)
    path = write_sweep(isolated_workdir, HEAD % "[load, wind]")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "two.csv: data.target: column 'wind' not found" in err and err.count("\n") == 1


def test_the_target_list_is_part_of_the_sweep_identity(isolated_workdir):
    _two_columns(isolated_workdir)
    one = sweep_identity(load_sweep(write_sweep(isolated_workdir, HEAD % "load")).config,
                         "min", "data")
    two = sweep_identity(load_sweep(write_sweep(isolated_workdir, HEAD % "[load, temp]")).config,
                         "min", "data")
    assert one["data.target"] == '"load"'  # a single name keeps the identity it had
    assert [c.split(":")[0] for c in describe_changes(one, two)] == ["data.target"]
