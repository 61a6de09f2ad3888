"""The LSTM-FCN keys (fcn_branch, fcn_filters, dimension_shuffle) in ``validate``, the JSON
Schema and the refusals. Light: no model is built (tests/model/test_fcn_branch.py builds them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.params import SEARCH_PARAMS

DATA = "data: {source: builtin:GunPoint, task: classify}\n"
KEYS = ("fcn_branch", "fcn_filters", "dimension_shuffle")


def _validate(folder: Path, search: str, capsys: pytest.CaptureFixture[str],
              extra: str = "") -> tuple[int, str]:
    path = write_sweep(folder, "name: a\n" + DATA + extra + "search:\n" + search)
    code = main(["validate", "--no-data", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _refused_in_one_line(code: int, out: str, folder: Path, key: str) -> str:
    lines = [line for line in out.splitlines() if line.strip() and line != "error:"]
    assert code == 2, out
    assert len(lines) == 1 and "sweep.yaml" in lines[0] and f"search.{key}" in lines[0], out
    assert not list(folder.glob("mlflow*")) and not (folder / "runs").exists()
    return lines[0]


def test_validate_summarises_the_searched_branch(isolated_workdir: Path,
                                                 capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, "  fcn_branch: {choice: [false, true]}\n"
                          "  fcn_filters: {choice: [64, 128]}\n"
                          "  dimension_shuffle: {choice: [false, true]}\n", capsys)
    assert code == 0, out
    assert "fcn_branch         choice of false, true" in out
    assert "fcn_filters        choice of 64, 128" in out
    assert "space size: 5 configurations" in out  # off, or on with 2 x 2 settings


@pytest.mark.parametrize("key, bad", [("fcn_branch", "yes please"), ("fcn_filters", 0),
                                      ("dimension_shuffle", 3)])
def test_out_of_domain_values_are_refused(key: str, bad: object, isolated_workdir: Path,
                                          capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, f"  fcn_branch: true\n  {key}: {bad}\n"
                          if key != "fcn_branch" else f"  {key}: {bad}\n", capsys)
    _refused_in_one_line(code, out, isolated_workdir, key)


@pytest.mark.parametrize("setting", ["dimension_shuffle: true", "fcn_filters: 64"])
def test_a_branch_setting_without_the_branch_is_refused(setting: str, isolated_workdir: Path,
                                                         capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, f"  {setting}\n", capsys)
    line = _refused_in_one_line(code, out, isolated_workdir, setting.split(":")[0])
    assert "only applies with fcn_branch: true" in line
    # Searched alone it is only noted; with the branch on, it is fine.
    key = setting.split(":")[0]
    values = "[false, true]" if key == "dimension_shuffle" else "[32, 64]"
    code, out = _validate(isolated_workdir, f"  {key}: {{choice: {values}}}\n", capsys)
    assert code == 0 and f"search.{key}: has no effect while fcn_branch is false" in out, out
    code, out = _validate(isolated_workdir, f"  fcn_branch: true\n  {setting}\n", capsys)
    assert code == 0, out


def test_the_branch_with_model_python_is_refused(isolated_workdir: Path,
                                                 capsys: pytest.CaptureFixture[str]):
    (isolated_workdir / "net.py").write_text("def build(hp, shape):\n    return None\n")
    code, out = _validate(isolated_workdir, "  fcn_branch: true\n", capsys,
                          extra="model: {python: net.py:build}\n")
    line = _refused_in_one_line(code, out, isolated_workdir, "fcn_branch")
    assert "not used with model.python" in line


def test_a_forecast_may_use_it(isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, "name: a\ndata: {source: builtin:airline}\n"
                       "search: {fcn_branch: {choice: [false, true]}, dimension_shuffle: true}\n")
    code = main(["validate", "--no-data", str(path)])
    assert code == 0, capsys.readouterr()


@pytest.mark.parametrize("name", KEYS)
def test_in_the_json_schema_after_the_older_keys(name: str):
    from lstm_automl.sweep_file.json_schema import sweep_schema

    search = sweep_schema()["$defs"]["SearchConfig"]["properties"]
    assert name in search and search[name]["default"] == SEARCH_PARAMS[name].default
    assert list(SEARCH_PARAMS).index("activation") < list(SEARCH_PARAMS).index(name)
    assert not SEARCH_PARAMS[name].declared_at_default  # earlier sweeps sample as before
