"""The rules table (sweep_file/rules.py): every rule names real keys and a real JSON-Schema
mirror, ``check_meaning`` is exactly the table walked in order, and the model builder asks the
same window predicates as ``validate``.

Light except the last test (it builds nothing, but imports the model builder and so Keras).
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from conftest import SWEEPS
from lstm_automl.config import window_rules
from lstm_automl.config.schema import SweepConfig
from lstm_automl.errors import ConfigError
from lstm_automl.sweep_file import json_schema
from lstm_automl.sweep_file.loader import check_meaning, load_sweep_mapping
from lstm_automl.sweep_file.rules import RULES, Findings

FORECAST = {"source": "builtin:airline"}


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Annotated, unions, Optional)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models(arg)
    return found


def _resolves(key: str) -> bool:
    """Whether dotted ``key`` names a field of the schema (an alias counts; a union such as
    ``data`` resolves when any of its models has the field)."""
    models: list[type[BaseModel]] = [SweepConfig]
    for part in key.split("."):
        fields = [info for model in models for name, info in model.model_fields.items()
                  if part in (name, info.alias)]
        if not fields:
            return False
        models = [m for info in fields for m in _models(info.annotation)]
    return True


def test_the_key_resolver_can_say_no():
    assert _resolves("data.season") and _resolves("tuner.pruning.min_epochs")
    assert not _resolves("tuner.pruning.nope") and not _resolves("search.nope")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_names_keys_of_the_schema(rule):
    assert rule.keys, rule.name
    assert [k for k in rule.keys if not _resolves(k)] == []


def test_rules_have_unique_names_and_one_line_docs():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert all(rule.doc and "\n" not in rule.doc for rule in RULES)


def test_every_mirror_is_a_schema_rule_and_every_schema_rule_is_claimed():
    builders = {name for name, _ in inspect.getmembers(json_schema, inspect.isfunction)
                if name.endswith(("_rule", "_rules"))}
    mirrors = {rule.mirror for rule in RULES if rule.mirror is not None}
    assert mirrors == builders


# Sweeps that trip many rules at once, problems and notes together.
TRIPPING = [
    {"data": {"source": "builtin:airline", "backtest": None},
     "search": {"learning_rate": {"float": [1e-4, 1e-2]}, "loss": "mape",
                "fcn_filters": 64, "residual": "seasonal_naive"},
     "tuner": {"algorithm": "grid", "objective": "val_accuracy", "direction": "max",
               "warm_start": "x", "pruning": {"min_epochs": 50}},
     "training": {"epochs": 5, "early_stopping_patience": 10,
                  "early_stopping_monitor": "val_auc"},
     "final_model": {"mc_dropout": {"samples": 5}, "blend": "with_baselines"}},
    {"data": {"source": "builtin:GunPoint", "task": "classify"},
     "search": {"loss": "mae", "residual": "naive", "dense_dropout": {"choice": [0.1, 0.2]},
                "dense_layers": 0},
     "tuner": {"algorithm": "hyperband", "max_trials": 3, "grid_order": "even"},
     "training": {"epochs": {"choice": [2, 4]}}},
]


def _config(mapping: dict[str, Any]) -> SweepConfig:
    return SweepConfig.model_validate({"name": "t", **mapping})


@pytest.mark.parametrize("mapping", TRIPPING, ids=["forecast", "classify"])
def test_check_meaning_is_the_table_walked_in_order(mapping):
    config = _config(mapping)
    found = [rule.check(config) for rule in RULES]
    assert all(isinstance(f, Findings) for f in found)
    fired = [rule.name for rule, f in zip(RULES, found, strict=True) if f.problems or f.notes]
    assert len(fired) >= 6, fired  # the comparison below is about something
    problems = [p for f in found for p in f.problems]
    notes = [n for f in found for n in f.notes]
    assert check_meaning(config) == (problems, notes)


# The keys of those sweeps' (problems, notes), in the order check_meaning gave them before it
# became a table: the table's order is the order users have seen.
KEYS_IN_ORDER = [
    (["tuner.objective", "search.learning_rate.float", "search.fcn_filters", "search.loss",
      "tuner.warm_start", "final_model.mc_dropout", "final_model.blend",
      "training.early_stopping_monitor"], ["training.early_stopping_patience"]),
    (["search.residual", "training.epochs"],
     ["tuner.grid_order", "tuner.max_trials", "search.dense_dropout", "search.loss",
      "training.early_stopping_patience"]),
]


@pytest.mark.parametrize(("mapping", "keys"), list(zip(TRIPPING, KEYS_IN_ORDER, strict=True)),
                         ids=["forecast", "classify"])
def test_the_messages_keep_their_order(mapping, keys):
    problems, notes = check_meaning(_config(mapping))
    assert ([p.split(":")[0] for p in problems], [n.split(":")[0] for n in notes]) == keys


def test_validate_reports_the_problems_in_the_tables_order():
    mapping = {"name": "t", "preset": "none", **TRIPPING[0]}
    with pytest.raises(ConfigError) as caught:
        load_sweep_mapping(mapping)
    expected = [p for rule in RULES for p in rule.check(_config(TRIPPING[0])).problems]
    assert len(expected) >= 4
    assert [p for p in caught.value.problems if p in expected] == expected


@pytest.mark.parametrize("path", sorted(SWEEPS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_sweeps_pass_every_rule(path):
    mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    mapping.pop("preset", None)
    config = _config(mapping)
    assert [p for rule in RULES for p in rule.check(config).problems] == []


# --------------------------------------------------------------------------- shared predicates


def test_the_window_predicates():
    assert window_rules.window_blocker("forecast", True) is None
    assert window_rules.window_blocker("classify", True) == window_rules.NOT_FORECAST
    assert window_rules.window_blocker("forecast", False) == window_rules.TARGET_NOT_INPUT
    assert window_rules.season_fits(4, 4) and not window_rules.season_fits(5, 4)
    assert not window_rules.season_fits(None, 100)
    assert window_rules.recursive_fits("forecast", 3, True)
    assert not window_rules.recursive_fits("forecast", 1, True)
    assert not window_rules.recursive_fits("forecast", 3, False)
    assert not window_rules.recursive_fits("regress", 3, True)


def _validate_says(season: int, lookback: int, task: str = "forecast") -> list[str]:
    data = ({"source": "builtin:airline", "season": season, "lookback": lookback}
            if task == "forecast" else {"source": "builtin:GunPoint", "task": task})
    config = _config({"data": data, "search": {"residual": "seasonal_naive"}})
    return check_meaning(config)[0]


@pytest.mark.parametrize(("season", "lookback", "task"), [
    (4, 8, "forecast"), (8, 8, "forecast"), (12, 8, "forecast"), (4, 8, "classify")])
def test_the_builder_drops_what_validate_refuses(season, lookback, task):
    from lstm_automl.data.base import ModelShape
    from lstm_automl.model.hypermodel import window_settings  # defers keras

    refused = [p for p in _validate_says(season, lookback, task) if "search.residual" in p]
    shape = ModelShape(lookback, 1, 1, task, target_channel=0 if task == "forecast" else None,
                       season=season if task == "forecast" else None)
    _, residual, dropped = window_settings({"residual": "seasonal_naive"}, shape)
    assert (residual == "none") == bool(refused)
    if task != "forecast":
        assert window_rules.NOT_FORECAST in refused[0] and window_rules.NOT_FORECAST in dropped[0]
