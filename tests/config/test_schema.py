"""``lstm-sweep schema`` catches what ``validate`` catches, and never refuses what it accepts.

Files are read with the project's loader first (YAML 1.1 booleans, YAML 1.2 exponent floats), so
the schema sees the values ``validate`` sees; then a real Draft 2020-12 validator judges them.
Light: no TensorFlow, Keras or MLflow.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter, ValidationError

from conftest import SWEEPS, write_sweep
from lstm_automl.cli import main
from lstm_automl.config.names import TASK_METRICS, objective_names
from lstm_automl.config.params import SEARCH_PARAMS
from lstm_automl.sweep_file.json_schema import (
    LAX_FALSE,
    LAX_TRUE,
    NUMERIC_STRING,
    YAML11_NUMBER,
    _caseless,
)
from lstm_automl.sweep_file.yaml_text import SweepLoader, parse_yaml

AIRLINE = "data: {source: builtin:airline}\n"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    """A validator of what ``lstm-sweep schema`` prints (the command, not the function)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema"]) == 0
    schema = json.loads(out.getvalue())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return Draft202012Validator(schema)


def _errors(validator: Draft202012Validator, document: Any) -> list[str]:
    """Each schema error as 'path: message' (path like $.search.cell)."""
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(document)]


def _validate(folder: Path, text: str) -> int:
    """``lstm-sweep validate`` of this text (the data too): its exit code."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["validate", str(write_sweep(folder, text))])


# --------------------------------------------------------------------------- shipped sweeps


@pytest.mark.parametrize("path", sorted(SWEEPS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_sweep_fits_the_schema(path: Path, validator: Draft202012Validator):
    document = parse_yaml(path.read_text(), str(path))
    assert _errors(validator, document) == []


# --------------------------------------------------------------------------- good edge cases
# What validate accepts in forms an over-strict schema would refuse.

GOOD = {
    "exponent-float": "search: {learning_rate: 1e-4}",
    "exponent-bounds": "search: {learning_rate: {float: [1e-4, 1E-1], log: true}}",
    "yaml11-bool": "search: {bidirectional: yes, conv_front: no}",
    "yaml11-bool-choice": "search: {conv_front: {choice: [no, yes]}}",
    "yaml11-underscore": "training: {epochs: 1_0}\nseed: 1_000",
    "lax-per-layer": "search: {units: {int: [8, 64], step: 8, per_layer: yes}}",
    "lax-per-layer-false": "search: {clipnorm: {choice: [1.0, 5.0], per_layer: no}, "
                           "layers: {int: [1, 2], per_layer: 0}}",
    "lax-bool-field": "training: {shuffle: 'on', mixed_precision: 0}\ntracking: {register: 'n'}",
    "whole-float-int": "search: {layers: 2.0, units: {choice: [8, 16.0]}}",
    "int-for-float": "search: {dropout: {choice: [0, 0.1]}, clipnorm: 1}",
    "quoted-float-bound": "search: {learning_rate: {float: ['1e-4', 0.1]}}",
    "bool-float-bound": "search: {learning_rate: {float: [0.01, true]}}",
    "nullable": "search: {clipnorm: {choice: [null, 1.0]}}",
    "log-step": "search: {learning_rate: {float: [1e-4, 1e-1], log: true, step: 10}}",
    "grid-discrete": "search: {dropout: {float: [0, 0.4], step: 0.1}}\ntuner: {algorithm: grid}",
    "backtest-objective": "data: {source: builtin:airline, backtest: {folds: 2}}\n"
                          "tuner: {objective: backtest_val_rmse}",
    "seasonal-builtin": "search: {residual: seasonal_naive}\ndata: {source: builtin:airline, "
                        "lookback: 12}",
    "lookback-range": "data: {source: builtin:airline, lookback: {int: [12, 24], step: 12}}",
    "lookback-horizon": "data: {source: builtin:airline, horizon: 6, "
                        "lookback: {multiple_of_horizon: [2, 4]}}",
    "classify-searched-data": "data: {source: builtin:GunPoint, task: classify, "
                              "window: {choice: [50, 75]}, scaling: {choice: [robust, none]}}",
    "classify": "data: {source: builtin:italypowerdemand, task: classify}\n"
                "tuner: {objective: val_accuracy}\nsearch: {window_norm: {choice: [none]}}",
    "pruning-budgets": "tuner: {pruning: asha, max_time: 1h30m, target: 0.01}\n"
                       "training: {max_trial_time: 90}",
    "pruning-mapping": "tuner: {pruning: {rule: median, min_epochs: 3, min_trials: 5}, "
                       "max_time: 2H}",
    "start-with": "search: {units: {choice: [8, 16]}}\n"
                  "tuner: {start_with: [{units: 16, learning_rate: 0.001}]}",
    "warm-start": "tuner: {algorithm: bayesian, warm_start: earlier-sweep}",
}


@pytest.mark.parametrize("body", GOOD.values(), ids=GOOD.keys())
def test_the_schema_accepts_what_validate_accepts(body: str, validator: Draft202012Validator,
                                                   isolated_workdir: Path):
    text = f"name: good\n{'' if 'data:' in body else AIRLINE}{body}\n"
    assert _validate(isolated_workdir, text) == 0
    assert _errors(validator, parse_yaml(text, "good.yaml")) == []


# --------------------------------------------------------------------------- bad files
# (file body, where the schema must point). Each is refused by validate too.

BAD = {
    "cell-typo": ("search: {cell: lsmt}", "$.search.cell"),
    "layers-range": ("search: {layers: 99}", "$.search.layers"),
    "forecast-accuracy": ("tuner: {objective: val_accuracy}", "$.tuner.objective"),
    "per-layer-learning-rate": (
        "search: {learning_rate: {float: [1e-4, 1e-2], per_layer: true}}",
        "$.search.learning_rate"),
    "dropout-range": ("search: {dropout: 1.5}", "$.search.dropout"),
    "choice-typo": ("search: {cell: {choice: [lstm, lsmt]}}", "$.search.cell"),
    "log-from-zero": ("search: {learning_rate: {float: [0, 1], log: true}}",
                      "$.search.learning_rate"),
    "int-bound-range": ("search: {layers: {int: [1, 20]}}", "$.search.layers"),
    "int-log-from-zero": ("search: {dense_layers: {int: [0, 4], log: true}}",
                          "$.search.dense_layers"),
    "int-step-zero": ("search: {batch_size: {int: [8, 64], step: 0}}", "$.search.batch_size"),
    "log-step-factor": ("search: {learning_rate: {float: [1e-4, 1e-1], log: true, step: 0.5}}",
                        "$.search.learning_rate"),
    "choice-twice": ("search: {units: {choice: [8, 8.0]}}", "$.search.units"),
    "choice-range": ("search: {dropout: {choice: [0.1, 1.0]}}", "$.search.dropout"),
    "choice-empty": ("search: {units: {choice: []}}", "$.search.units"),
    "float-on-bool": ("search: {bidirectional: {float: [0, 1]}}", "$.search.bidirectional"),
    "float-on-int": ("search: {units: {float: [8, 64]}}", "$.search.units"),
    "int-on-float": ("search: {learning_rate: {int: [1, 2]}}", "$.search.learning_rate"),
    "not-an-integer": ("search: {units: 8.5}", "$.search.units"),
    "bool-for-int": ("search: {units: true}", "$.search.units"),
    "clipnorm-zero": ("search: {clipnorm: 0}", "$.search.clipnorm"),
    "activation": ("search: {dense_activation: sigmoid}", "$.search.dense_activation"),
    "yaml11-per-layer": ("search: {clipnorm: {choice: [1.0, 5.0], per_layer: yes}}",
                         "$.search.clipnorm"),
    "spec-two-keys": ("search: {units: {choice: [8], int: [8, 16]}}", "$.search.units"),
    "backtest-objective-alone": ("tuner: {objective: backtest_val_rmse}", "$.tuner.objective"),
    "classify-rmse": ("data: {source: builtin:GunPoint, task: classify}\n"
                      "tuner: {objective: val_rmse}", "$.tuner.objective"),
    "classify-window-norm": ("data: {source: builtin:GunPoint, task: classify}\n"
                             "search: {window_norm: last}", "$.search.window_norm"),
    "regress-recursive": ("data: {source: generate:adding, task: regress}\n"
                          "search: {multi_step: {choice: [direct, recursive]}}",
                          "$.search.multi_step"),
    "recursive-features": ("data: {source: builtin:airline, features: [passengers, month]}\n"
                           "search: {multi_step: recursive}", "$.search.multi_step"),
    "seasonal-nile": ("data: {source: builtin:nile}\nsearch: {residual: seasonal_naive}",
                      "$.data"),
    "grid-continuous": ("search: {dropout: {float: [0, 0.4]}}\ntuner: {algorithm: grid}",
                        "$.search.dropout"),
    "transform-typo": ("data: {source: builtin:airline, transform: {choice: [log, logg]}}",
                       "$.data.transform"),
    "builtin-typo": ("data: {source: builtin:airlines}", "$.data.source"),
    "window-on-forecast": ("data: {source: builtin:airline, window: 12}", "$.data"),
    "lookback-on-classify": ("data: {source: builtin:GunPoint, task: classify, lookback: 12}",
                             "$.data"),
    "window-zero": ("data: {source: builtin:GunPoint, task: classify, window: {choice: [0]}}",
                    "$.data"),
    "scaling-typo-classify": ("data: {source: builtin:GunPoint, task: classify, "
                              "scaling: {choice: [robust, iqr]}}", "$.data"),
    "generator-task": ("data: {source: generate:copy, task: regress}", "$.data.source"),
    "lax-bool-junk": ("training: {shuffle: maybe}", "$.training.shuffle"),
    "objective-typo": ("tuner: {objective: val_los}", "$.tuner.objective"),
    "pruning-typo": ("tuner: {pruning: medain}", "$.tuner.pruning"),
    "pruning-knob": ("tuner: {pruning: {rule: asha, reduction_factor: 1}}", "$.tuner.pruning"),
    "max-time-words": ("tuner: {max_time: 2 hours}", "$.tuner.max_time"),
    "max-trial-time-zero": ("training: {max_trial_time: 0}", "$.training.max_trial_time"),
    "target-text": ("tuner: {target: low}", "$.tuner.target"),
    "start-with-list": ("tuner: {start_with: {units: 8}}", "$.tuner.start_with"),
    "warm-start-list": ("tuner: {warm_start: [a, b]}", "$.tuner.warm_start"),
}


@pytest.mark.parametrize("body, where", BAD.values(), ids=BAD.keys())
def test_bad_files_are_flagged_by_the_schema_and_by_validate(
        body: str, where: str, validator: Draft202012Validator, isolated_workdir: Path):
    text = f"name: bad\n{'' if 'data:' in body else AIRLINE}{body}\n"
    errors = _errors(validator, parse_yaml(text, "bad.yaml"))
    assert errors, "the schema accepts it"
    assert any(e.startswith(where) for e in errors), errors  # where an editor underlines it
    assert _validate(isolated_workdir, text) == 2


# --------------------------------------------------------------------------- no disagreement
# Random edits of the shipped sweeps: whatever the schema refuses, validate refuses too.

_LAX = [True, False, 0, 1, "yes", "no", "t", "OFF", "maybe", 2, None]
_SCALARS = [0, 1, 2, 8, 99, -1, 0.5, 1.5, 1e-4, 0.0, 1.0, 2.0, True, False, None, "lstm", "lsmt",
            "none", "last", "recursive", "seasonal_naive", "relu", "adam", "yes", "1e-4"]
_INTS = [-1, 0, 1, 2, 8, 9, 64, 5000, 2.0, 2.5, True]
_FLOATS = [0, 0.0, 1e-4, 0.5, 1, 1.0, 1.5, -0.1, "1e-4", " 0.2", True, False, "abc", 1e9]
_STEPS = [None, 0.1, 2, 0, True, 1, "0.5", 10]
_DATA = {
    "task": ["forecast", "classify", "regress", "survive"],
    "backtest": [None, {"folds": 3}, {"folds": 1}],
    "features": [None, ["passengers"], ["passengers", "month"],
                 {"choice": [["passengers"], ["passengers", "month"]]},
                 {"choice": [["passengers", "month"]]}],
    "season": [None, 12, 1],
    "source": ["builtin:airline", "builtin:nile", "builtin:airlines", "builtin:gunpoint",
               "builtin:GunPoint", "generate:copy", "generate:adding", "generate:nope"],
    "time_column": [None, "month"],
    "transform": ["log", "logg", {"choice": ["log", "diff"]}, {"choice": ["log", "x"]}],
    "lookback": [12, 0, 2.0, {"choice": [12, 24]}, {"choice": [0]}],
    "scaling": ["minmax", {"choice": ["none", "standard"]}, {"choice": ["z"]}],
}
_OTHER = {
    ("tuner", "objective"): [*{n for t in TASK_METRICS for n in objective_names(t, True)},
                             "nope", "backtest_val_accuracy"],
    ("tuner", "algorithm"): ["random", "grid", "bayesian", "hyperband", "gird"],
    ("training", "shuffle"): _LAX,
    ("training", "epochs"): [1, 0, 2.0, "3"],
    ("final_model", "refit"): _LAX,
    ("tracking", "register"): _LAX,
}


def _in_domain(rng: random.Random, name: str) -> Any:
    """A value of hyperparameter ``name`` in one of the spellings validate accepts."""
    domain = SEARCH_PARAMS[name]
    if domain.kind == "name":
        assert domain.names is not None
        return rng.choice(list(domain.names))
    if domain.kind == "bool":
        return rng.choice([True, False])
    low = domain.low if domain.low is not None else 0.0
    high = domain.high if domain.high is not None else 10.0
    if domain.kind == "int":
        value = rng.randint(int(low), min(int(high), 64))
        return float(value) if rng.random() < 0.2 else value
    value = rng.choice([low, (low + high) / 2, high * 0.999, 1e-4 + low])
    if not domain.low_inclusive and value == low:
        value = high / 2
    if domain.nullable and rng.random() < 0.2:
        return None
    return round(value, 6)


def _valid_spec(rng: random.Random, name: str) -> Any:
    """A spec validate accepts (mostly): a value, a choice of them, or a range of its kind."""
    domain = SEARCH_PARAMS[name]
    kind = rng.choice(["fixed", "choice", domain.kind, domain.kind])
    spec: dict[str, Any]
    if kind == "int":
        low, high = sorted(_in_domain(rng, name) for _ in range(2))
        spec = {"int": [low, high]}
        if rng.random() < 0.3:
            spec["step"] = rng.choice([1, 2, 2.0])
        if rng.random() < 0.3 and low >= 1:
            spec["log"] = rng.choice([True, "yes", 1, False, "off"])
    elif kind == "float":
        low, high = sorted(x if x is not None else 0.5
                           for x in (_in_domain(rng, name), _in_domain(rng, name)))
        spec = {"float": [low, high]}
        if rng.random() < 0.3:
            spec["step"] = rng.choice([0.1, None, "0.5", True])
        if rng.random() < 0.3 and low > 0:
            spec["log"] = rng.choice([True, "yes", 1, False, "off"])
            if spec.get("step") is not None and spec["log"] in (True, "yes", 1):
                spec["step"] = 10
    elif kind == "choice":
        values = [_in_domain(rng, name) for _ in range(rng.randint(1, 3))]
        spec = {"choice": [v for i, v in enumerate(values) if v not in values[:i]]}
    else:
        return _in_domain(rng, name)
    if rng.random() < 0.3:
        spec["per_layer"] = (rng.choice([True, "y", 1]) if domain.per_layer
                             else rng.choice([False, "no", 0]))
    return spec


def _spec(rng: random.Random) -> Any:
    kind = rng.choice(["fixed", "fixed", "choice", "int", "float"])
    if kind == "fixed":
        return rng.choice(_SCALARS)
    if kind == "choice":
        spec: dict[str, Any] = {"choice": rng.sample(_SCALARS, rng.randint(0, 3))}
    elif kind == "int":
        spec = {"int": [rng.choice(_INTS), rng.choice(_INTS)]}
        if rng.random() < 0.4:
            spec["step"] = rng.choice([1, 2, 0, 8, 2.0])
    else:
        spec = {"float": sorted([rng.choice([0.0, 1e-4, 0.5]), rng.choice([0.01, 0.9, 1.0])])}
        if rng.random() < 0.5:
            spec["float"] = [rng.choice(_FLOATS), rng.choice(_FLOATS)]
        if rng.random() < 0.5:
            spec["step"] = rng.choice(_STEPS)
    for key in ("log", "per_layer"):
        if rng.random() < 0.3:
            spec[key] = rng.choice(_LAX)
    return spec


def _mutate(document: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for _ in range(rng.randint(1, 3)):
        where = rng.random()
        if where < 0.55:
            name = rng.choice(list(SEARCH_PARAMS))
            spec = _valid_spec(rng, name) if rng.random() < 0.6 else _spec(rng)
            document.setdefault("search", {})[name] = spec
        elif where < 0.8:
            key = rng.choice(list(_DATA))
            document["data"][key] = rng.choice(_DATA[key])
        else:
            section, key = rng.choice(list(_OTHER))
            document.setdefault(section, {})[key] = rng.choice(_OTHER[section, key])
    return document


class _Dumper(yaml.SafeDumper):
    """Quotes what the sweep loader would read otherwise (1e-4 is a number to it)."""


_Dumper.yaml_implicit_resolvers = SweepLoader.yaml_implicit_resolvers


def test_what_the_schema_refuses_validate_refuses(validator: Draft202012Validator,
                                                  isolated_workdir: Path):
    rng = random.Random(12)
    documents = [parse_yaml(p.read_text(), str(p)) for p in sorted(SWEEPS.glob("*.yaml"))]
    flagged, disagreements = 0, []
    for _ in range(400):
        document = _mutate(rng.choice(documents), rng)
        text = yaml.dump(document, Dumper=_Dumper, sort_keys=False)
        assert parse_yaml(text, "m.yaml") == document  # the file says what was meant
        errors = _errors(validator, document)
        if not errors:
            continue
        flagged += 1
        if _validate(isolated_workdir, text) != 2:
            disagreements.append((text, errors[:3]))
    assert disagreements == []
    assert flagged > 150  # the edits do reach the schema's rules


# --------------------------------------------------------------------------- the readings


def _random_strings(alphabet: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7))) for _ in range(count)]


_YAML12_NUMBER = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                            r"|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


def test_yaml11_number_spellings_match_the_loader():
    """A string the schema takes as a YAML 1.1 number is one to the loader; a number to the
    loader that YAML 1.2 (an editor) reads as a string is taken by the schema."""
    pattern = re.compile(YAML11_NUMBER)
    for text in ["1_000", "1:30", "0b101", "1_0.5", "1:30.5", "1_000e5", "-2_0", ".5_0"] + \
            _random_strings("0159_:.eE+-bx", 20_000, seed=1):
        try:
            value = yaml.load(f"a: {text}", SweepLoader)["a"]  # noqa: S506 - a safe loader
        except (yaml.YAMLError, ValueError):  # PyYAML fails on '0x_' with a ValueError
            continue  # not a plain scalar the loader reads
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if pattern.match(text):
            assert number, text
        elif number:
            assert _YAML12_NUMBER.match(text), text


def test_lax_spellings_match_pydantic():
    """Booleans and floats of pydantic's lax fields: the schema takes what pydantic takes."""
    as_bool, as_float = TypeAdapter(bool), TypeAdapter(float)
    lax = re.compile(_caseless(LAX_TRUE + LAX_FALSE))
    for text in [*LAX_TRUE, *LAX_FALSE, "YES", "oFF", "True", "2", "yess", " y"]:
        try:
            as_bool.validate_python(text)
            accepted = True
        except ValidationError:
            accepted = False
        assert bool(lax.match(text)) == accepted, text
    numeric = re.compile(NUMERIC_STRING)
    for text in _random_strings("019_.eE+- ", 20_000, seed=2):
        try:
            value = as_float.validate_python(text)
        except ValidationError:
            continue
        assert numeric.match(text) or value != value or abs(value) == float("inf"), text


# --------------------------------------------------------------------------- one source of truth


def test_the_schema_follows_the_registries(validator: Draft202012Validator):
    search = validator.schema["$defs"]["SearchConfig"]["properties"]
    assert set(search) == set(SEARCH_PARAMS)
    for name, domain in SEARCH_PARAMS.items():
        fixed = search[name]["anyOf"][-1]
        if domain.kind == "name":
            assert domain.names is not None
            assert fixed["enum"] == list(domain.names)
        per_layer = {"search": {name: {"choice": [domain.default], "per_layer": True}}}
        document = {"name": "a", "data": {"source": "builtin:airline"}, **per_layer}
        assert bool(_errors(validator, document)) == (domain.per_layer is None), name
    objective = validator.schema["$defs"]["TunerConfig"]["properties"]["objective"]["enum"]
    assert set(objective) == {n for t in TASK_METRICS for n in objective_names(t, True)}
