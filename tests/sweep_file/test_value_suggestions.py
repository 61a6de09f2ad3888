"""A misspelt VALUE gets a "did you mean" as a misspelt key does (issue 23): names of the search
space, ``Literal`` settings of the schema, the objective of the task. Light: no Keras.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lstm_automl.config.names import INITIALIZERS, closest, objective_names
from lstm_automl.errors import ConfigError
from lstm_automl.sweep_file.loader import load_sweep_mapping

FORECAST = {"source": "builtin:airline"}
CLASSIFY = {"source": "builtin:gunpoint", "task": "classify"}


@pytest.mark.parametrize(("given", "names", "meant"), [
    ("lsmt", ["lstm", "gru", "peephole", "simple_rnn"], "lstm"),
    ("LSTM", ["lstm", "gru"], "lstm"),
    ("he-normal", list(INITIALIZERS), "he_normal"),
    ("glorot_unifrom", list(INITIALIZERS), "glorot_uniform"),
    ("glorot", list(INITIALIZERS), None),  # the start of two names: nothing suggested
    ("val_acc", objective_names("classify"), "val_accuracy"),
    ("val_f1", objective_names("classify"), "val_macro_f1"),
    ("val_rsme", objective_names("forecast"), "val_rmse"),
    ("xyz", ["lstm", "gru"], None),
    ("ada", ["adam", "adamw", "adagrad"], "adam"),  # a typo of one, not the start of three
    ("val_f1", objective_names("forecast"), None),  # no F1 for a forecast: nothing suggested
])
def test_closest_name(given: str, names: list[str], meant: str | None):
    assert closest(given, names) == meant


def _problems(sweep: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_sweep_mapping({"name": "s", **sweep}, source="s.yaml")
    return caught.value.problems


@pytest.mark.parametrize(("sweep", "line"), [
    ({"data": FORECAST, "search": {"cell": "lsmt"}},
     "search.cell: 'lsmt' is not allowed; did you mean 'lstm'? expected one of: lstm, gru, "
     "peephole, simple_rnn"),
    ({"data": FORECAST, "search": {"cell": {"choice": ["lstm", "gur"]}}},
     "search.cell.choice: 'gur' is not allowed; did you mean 'gru'? expected one of: lstm, gru, "
     "peephole, simple_rnn"),
    ({"data": FORECAST, "search": {"kernel_initializer": "he_normall"}},
     "search.kernel_initializer: 'he_normall' is not allowed; did you mean 'he_normal'? "
     "expected one of: default, glorot_uniform, he_normal, orthogonal, lecun_normal, "
     "he_uniform, glorot_normal, lecun_uniform"),
    ({"data": {**FORECAST, "transform": {"choice": ["none", "lgo"]}}},
     "data.transform.choice: 'lgo' is not allowed; did you mean 'log'? expected one of: "),
    ({"data": {**FORECAST, "scaling": "standrd"}},
     "data.scaling: expected one of: standard, minmax, robust, none, or {choice: [...]} to "
     "search it; did you mean 'standard'? (got 'standrd')"),
    ({"data": {**FORECAST, "task": "forcast"}},
     "data.task: must be one of: forecast, classify, regress, label, detect; "
     "did you mean 'forecast'? "
     "(got 'forcast')"),
    ({"data": FORECAST, "tuner": {"algorithm": "randm"}},
     "tuner.algorithm: 'randm' is not allowed; did you mean 'random'? expected one of: random, "
     "grid, bayesian, hyperband"),
    ({"data": FORECAST, "tuner": {"direction": 1}},
     "tuner.direction: 1 is not allowed; expected one of: min, max"),
    ({"data": CLASSIFY, "tuner": {"objective": "val_acc"}},
     "tuner.objective: 'val_acc' is not a metric a classify model reports; did you mean "
     "'val_accuracy'? allowed: val_loss, val_accuracy, "),
    ({"data": CLASSIFY, "tuner": {"objective": "val_f1"}},
     "tuner.objective: 'val_f1' is not a metric a classify model reports; did you mean "
     "'val_macro_f1'? allowed: "),
    ({"data": FORECAST, "tuner": {"objective": "val_mean_squared_error"}},
     "tuner.objective: 'val_mean_squared_error' is not a metric a forecast model reports; did "
     "you mean 'val_mse'? allowed: "),
    ({"data": FORECAST, "tuner": {"objective": "val_quality"}},
     "tuner.objective: 'val_quality' is not a metric a forecast model reports; allowed: "),
    ({"data": {**FORECAST, "calendar": "auot"}},
     "data.calendar: expected one of: none, auto, or {choice: [...]} to search it; did you mean "
     "'auto'? (got 'auot')"),
    ({"data": FORECAST, "training": {"jit_compile": "atuo"}},
     "training.jit_compile: expected true, false or 'auto'; did you mean 'auto'? (got 'atuo')"),
    ({"data": FORECAST, "tuner": {"pruning": "medain"}},
     "tuner.pruning: expected one of: none, median, asha, or a mapping {rule: median, "
     "min_epochs: 2, min_trials: 3}; did you mean 'median'? (got 'medain')"),
    ({"data": {**CLASSIFY, "class_weight": "balancd"}},
     "data.class_weight: 'balancd' is not allowed; did you mean 'balanced'? expected one of: "
     "none, balanced"),
    ({"data": FORECAST, "search": {"optimizer": "nonsense"}},
     "search.optimizer: 'nonsense' is not allowed; expected one of: adam, adamw, "),
], ids=["cell", "cell-choice", "initializer", "transform-choice", "scaling", "task",
        "algorithm", "literal-not-a-name", "objective-acc", "objective-f1",
        "objective-keras-name", "objective-far", "calendar", "jit-compile", "pruning",
        "class-weight", "optimizer-far"])
def test_a_misspelt_value_names_the_allowed_one_it_likely_meant(sweep: dict, line: str):
    problems = _problems(sweep)
    assert any(p.startswith(line) for p in problems), problems


def test_a_misspelt_preset_in_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LSTM_SWEEP_PRESET", "godo")
    assert _problems({"data": FORECAST}) == [
        "$LSTM_SWEEP_PRESET: 'godo' is not a preset; did you mean 'good'? expected one of: none, "
        "fast, good, best"]


def _validate(tmp_path: Path, text: str, *options: str) -> subprocess.CompletedProcess[str]:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(text)
    return subprocess.run([sys.executable, "-m", "lstm_automl", "validate", *options,
                           str(sweep)], cwd=tmp_path, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("text", "line"), [
    ("name: s\ndata: {source: 'builtin:airline'}\nsearch: {cell: lsmt}\n",
     "sweep.yaml: search.cell: 'lsmt' is not allowed; did you mean 'lstm'? expected one of: "
     "lstm, gru, peephole, simple_rnn"),
    ("name: s\ndata: {source: 'builtin:gunpoint', task: classify}\ntuner: {objective: val_acc}\n",
     "sweep.yaml: tuner.objective: 'val_acc' is not a metric a classify model reports; did you "
     "mean 'val_accuracy'? allowed: val_loss, val_accuracy, val_auc, val_pr_auc, val_macro_f1, "
     "loss, accuracy, auc, pr_auc, macro_f1"),
    ("name: s\ndata: {source: 'builtin:airlin'}\n",
     "sweep.yaml: data.source: unknown builtin dataset 'airlin'; did you mean 'builtin:airline'? "
     "available: builtin:airline, "),
], ids=["cell", "objective", "builtin"])
def test_validate_says_did_you_mean_for_a_value(tmp_path: Path, text: str, line: str):
    result = _validate(tmp_path, text, *(() if "builtin:airlin'" in text else ("--no-data",)))
    assert result.returncode == 2, result.stderr
    assert line in result.stderr.splitlines()[-1], result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"]  # nothing written
