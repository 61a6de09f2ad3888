"""The regularisation, schedule, loss and activation keys of issue 12's second collection:
validated, summarised, in the JSON Schema and declared to keras-tuner from the one table (so
MLflow, which logs the tuner's values, and the leaderboard see them). Light: no model is built
here (tests/model/test_regularisation.py and test_lr_schedule.py build them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.params import SEARCH_PARAMS

DATA = "data: {source: builtin:airline}\n"


def _validate(folder: Path, search: str, capsys: pytest.CaptureFixture[str],
              extra: str = "") -> tuple[int, str]:
    path = write_sweep(folder, "name: a\n" + DATA + extra + "search:\n" + search)
    code = main(["validate", "--no-data", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# (searched spec, what validate's summary prints, an out-of-domain fixed value)
KEYS = {
    "recurrent_l2": ("{float: [1.0e-6, 1.0e-3], log: true}", "float 1e-06..0.001, log", -0.1),
    "weight_decay": ("{choice: [null, 0, 1.0e-4]}", "choice of null, 0, 0.0001", -1.0),
    "lr_schedule": ("{choice: [none, cosine, plateau]}", "choice of none, cosine, plateau",
                    "step"),
    "plateau_factor": ("{float: [0.1, 0.5]}", "float 0.1..0.5", 1.0),
    "plateau_patience": ("{int: [1, 4]}", "int 1..4", 0),
    "activation": ("{choice: [tanh, relu]}", "choice of tanh, relu", "sigmoidal"),
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_validate_summarises_and_refuses(name: str, isolated_workdir: Path,
                                         capsys: pytest.CaptureFixture[str]):
    spec, summary, bad = KEYS[name]
    extra = "  lr_schedule: plateau\n" if name.startswith("plateau") else ""
    code, out = _validate(isolated_workdir, f"  {name}: {spec}\n" + extra, capsys)
    assert code == 0, out
    assert name in out and summary in out, out
    code, out = _validate(isolated_workdir, f"  {name}: {bad}\n", capsys)
    assert code == 2, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and "sweep.yaml" in lines[0] and f"search.{name}" in lines[0], out
    assert not list(isolated_workdir.glob("mlflow*")) and not (isolated_workdir / "runs").exists()


@pytest.mark.parametrize("name", sorted(KEYS))
def test_in_the_json_schema_after_the_older_keys(name: str):
    from lstm_automl.sweep_file.json_schema import sweep_schema

    search = sweep_schema()["$defs"]["SearchConfig"]["properties"]
    assert name in search and search[name]["default"] == SEARCH_PARAMS[name].default
    assert list(SEARCH_PARAMS).index("l2") < list(SEARCH_PARAMS).index(name)


def test_weight_decay_null_and_zero_stay_apart_through_keras_tuner():
    """null (the optimizer's own decay) and 0 (none) are different for adamw."""
    import keras_tuner as kt

    from lstm_automl.config.params import decode_nulls
    from lstm_automl.config.schema import SearchConfig
    from lstm_automl.model.space import declare_space

    specs = SearchConfig.model_validate(
        {"weight_decay": {"choice": [None, 0, 1e-4]}, "recurrent_l2": 1e-3}).specs()
    seen = set()
    for value in (None, 0.0, 1e-4):
        hp = kt.HyperParameters()
        declare_space(hp, specs)
        hp.values["weight_decay"] = -1.0 if value is None else value  # as the tuner samples
        values = declare_space(hp, specs)
        assert values["weight_decay"] == value and values["recurrent_l2"] == 1e-3
        assert decode_nulls(dict(hp.values))["weight_decay"] == value  # what MLflow logs
        seen.add(value)
    assert seen == {None, 0.0, 1e-4}


def test_plateau_settings_without_plateau_are_noted(isolated_workdir: Path,
                                                    capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, "  plateau_patience: {choice: [1, 3]}\n", capsys)
    assert code == 0
    assert "search.plateau_patience: has no effect while lr_schedule is not plateau" in out


def test_a_plateau_patience_that_early_stopping_outruns_is_noted(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    search = "  lr_schedule: plateau\n  plateau_patience: 5\n"
    code, out = _validate(isolated_workdir, search, capsys,
                          extra="training: {early_stopping_patience: 5}\n")
    assert code == 0
    assert "search.plateau_patience: 5 is not below training.early_stopping_patience" in out
    code, out = _validate(isolated_workdir, "  lr_schedule: plateau\n  plateau_patience: 2\n",
                          capsys, extra="training: {early_stopping_patience: 5}\n")
    assert code == 0 and "is not below" not in out


@pytest.mark.parametrize(("data", "code", "says"), [
    ("scaling: none", 0, None),
    ("scaling: minmax", 0, "note: search.loss: mape with data.scaling minmax"),
    ("scaling: standard", 2, "data.scaling standard centres it on 0"),
    ("scaling: {choice: [none, robust]}", 2, "data.scaling robust centres it on 0"),
    ("scaling: none, transform: diff", 2, "data.transform diff"),
])
def test_mape_needs_targets_away_from_zero(data: str, code: int, says: str | None,
                                           isolated_workdir: Path,
                                           capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, "name: a\ndata: {source: builtin:airline, " + data +
                       "}\nsearch:\n  loss: {choice: [mse, mape]}\n")
    assert main(["validate", "--no-data", str(path)]) == code
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert says is None or says in out, out
    if code == 2:
        assert len(out.strip().splitlines()) == 1 and "sweep.yaml: search.loss" in out, out


def test_mape_is_refused_for_scaled_regression_targets(isolated_workdir: Path,
                                                       capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, "name: a\ndata: {source: generate:adding, task: "
                       "regress}\nsearch:\n  loss: mape\n")
    assert main(["validate", "--no-data", str(path)]) == 2
    assert "data.scaling standard" in capsys.readouterr().err
