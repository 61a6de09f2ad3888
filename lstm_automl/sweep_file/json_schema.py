"""The JSON Schema of sweep files (``lstm-sweep schema``), sharp enough for an editor to flag
what ``lstm-sweep validate`` refuses.

pydantic's generated schema knows the types; the domains of the hyperparameters live in
``params.SEARCH_PARAMS`` and the objectives, datasets and generators in their registries, so the
schema is rewritten from those same tables here: one source of truth. The rule it keeps is that
the schema never refuses a file that ``validate`` accepts: where ``validate`` is lenient (pydantic's
lax booleans and floats) or a check compares two values of the file, the schema lets it pass.

YAML: the loader reads YAML 1.1 (``yes``/``on`` are booleans, ``1_000`` and ``1:30`` numbers) plus
YAML 1.2 exponent floats (``1e-4``); an editor reads YAML 1.2, where the former are strings. So
wherever a boolean or a number is allowed, those YAML 1.1 spellings are allowed as strings too.

Light: no TensorFlow, Keras, keras-tuner or MLflow (``lstm-sweep schema`` stays fast).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from lstm_automl.config import schema as cfg
from lstm_automl.config.builtin import BUILTIN_PREFIX, DATASETS, SEQUENCE_DATASETS
from lstm_automl.config.durations import PATTERN
from lstm_automl.config.names import BACKTEST_TASKS, TASK_METRICS, objective_names
from lstm_automl.config.params import (
    LAYER_RATIO,
    SEARCH_PARAMS,
    TRAINING_PARAMS,
    TRAINING_SEARCH,
    WIDTH_PARAMS,
    Domain,
    check_value,
    ratio_params,
)

Schema = dict[str, Any]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FORECAST: str = cfg.ForecastDataConfig.model_fields["task"].default  # the task when none is set
DETECT = "detect"

# pydantic's lax ``bool`` fields take these strings in any letter case, and 0/1.
LAX_TRUE = ("1", "on", "t", "true", "y", "yes")
LAX_FALSE = ("0", "off", "f", "false", "n", "no")
# What YAML 1.1 (the loader) reads as booleans but YAML 1.2 (an editor) as strings.
YAML11_TRUE = ("yes", "Yes", "YES", "on", "On", "ON")
YAML11_FALSE = ("no", "No", "NO", "off", "Off", "OFF")
# Numbers in YAML 1.1 (the loader) that YAML 1.2 reads as strings: digit separators (1_000),
# base 60 (1:30), binary (0b101) and signed hex (-0x1F). The lookahead keeps plain numbers out:
# an editor reads those as numbers already, and a quoted "12" is a string to validate too.
_INT11 = (r"0b_*[01][01_]*|0[0-7_]+|0x_*[0-9a-fA-F][0-9a-fA-F_]*|(?:0|[1-9][0-9_]*)"
          r"|[1-9][0-9_]*(?::[0-5]?[0-9])+")
_FLOAT11 = (r"[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
            r"|(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)[eE][-+]?[0-9]+")
YAML11_NUMBER = (rf"^(?=[^_:]*[_:]|[-+]?0b|[-+]0x)(?:[-+]?(?:{_INT11}|{_FLOAT11})"
                 rf"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)$")
# What pydantic's lax float parses from a string, loosely (it takes '1e_5' and '-9E_+0'); the
# non-finite ones are left out, which validate refuses anyway.
NUMERIC_STRING = r"^\s*(?=[^0-9]*[0-9])[-+0-9_.eE]+\s*$"
_ANNOTATIONS = ("title", "description", "default", "examples")


def sweep_schema() -> Schema:
    """pydantic's schema of ``SweepConfig`` with the project's domains, names and rules in it."""
    schema = cfg.SweepConfig.model_json_schema()
    _add_yaml11_spellings(schema)
    defs = schema["$defs"]
    defs.update(_shared())
    _lax_bools(defs)
    search = defs["SearchConfig"]["properties"]
    for name, domain in SEARCH_PARAMS.items():
        search[name] = _param(domain, search[name])
    training = defs["TrainingConfig"]["properties"]
    for name, domain in TRAINING_SEARCH.items():
        training[name] = _param(domain, training[name])
    training["shuffle"]["anyOf"][-1] = _lax_bool()  # a plain shuffle is a lax pydantic bool
    for name in ratio_params():
        search[name]["anyOf"].insert(-1, _ratio(SEARCH_PARAMS[name]))
    for name in WIDTH_PARAMS:
        search[name]["anyOf"].insert(-1, _tie(name))
    for name, domain in SEARCH_PARAMS.items():
        if domain.per_layer:
            search[name]["anyOf"].insert(-1, _layers(domain))
    _data_names(defs)
    schema["properties"]["data"] = _data_by_task(schema["properties"]["data"], defs)
    _durations(defs)
    every_objective = _unique(
        n for task in TASK_METRICS for n in objective_names(task, backtest=True))
    defs["TunerConfig"]["properties"]["objective"]["enum"] = every_objective
    monitor = defs["TrainingConfig"]["properties"]["early_stopping_monitor"]
    monitor["anyOf"] = [{"type": "string", "enum": every_objective}, {"type": "null"}]
    schema["allOf"] = [*_objective_rules(), *_forecast_only_rules(), _grid_rule(),
                       _python_model_rule()]
    _drop_unused(schema)
    return {"$schema": DRAFT, **schema, "title": "lstm-sweep sweep file"}


def schema_text(indent: int | None = 2) -> str:
    """The schema as ``lstm-sweep schema`` prints it."""
    return json.dumps(sweep_schema(), indent=indent)


# --------------------------------------------------------------------------- building blocks


def _caseless(words: Iterable[str]) -> str:
    """A pattern matching any of ``words`` in any letter case (JSON Schema has no flags)."""
    def one(word: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)

    return "^(?:" + "|".join(one(w) for w in words) + ")$"


def _words(words: Iterable[str]) -> Schema:
    return {"type": "string", "pattern": "^(?:" + "|".join(words) + ")$"}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _shared() -> dict[str, Schema]:
    """Pieces used all over the schema, defined once under ``$defs``."""
    return {
        "Yaml11Number": {"type": "string", "pattern": YAML11_NUMBER, "description":
                         "a YAML 1.1 number (1_000, 1:30, 0b101) that YAML 1.2 reads as a "
                         "string; the sweep loader reads it as a number"},
        "Yaml11Bool": {**_words(YAML11_TRUE + YAML11_FALSE), "description":
                       "yes/no/on/off: booleans to the sweep loader (YAML 1.1)"},
        "LaxBool": {"anyOf": [{"type": "boolean"}, {"enum": [0, 1]}, {
            "type": "string", "pattern": _caseless(LAX_TRUE + LAX_FALSE)}],
            "description": "true or false (also yes/no, on/off, 1/0, ...)"},
        "LaxTrue": {"anyOf": [{"const": True}, {"const": 1},
                              {"type": "string", "pattern": _caseless(LAX_TRUE)}]},
        "LaxFalse": {"anyOf": [{"const": False}, {"const": 0},
                               {"type": "string", "pattern": _caseless(LAX_FALSE)}]},
        "NumericString": {"type": "string", "pattern": NUMERIC_STRING,
                          "description": "a number in quotes, read as one"},
    }


def _yaml11_number() -> Schema:
    return _ref("Yaml11Number")


def _bool() -> Schema:
    """A strict boolean, or its YAML 1.1 spelling as an editor reads it."""
    return {"anyOf": [{"type": "boolean"}, _ref("Yaml11Bool")]}


def _lax_bool() -> Schema:
    """What a pydantic ``bool`` field takes: true/false, 0/1 and yes/no/on/off/t/f/y/n/1/0."""
    return _ref("LaxBool")


def _lax(value: bool) -> Schema:
    """Any spelling of ``value`` a pydantic ``bool`` field reads as it."""
    return _ref("LaxTrue" if value else "LaxFalse")


def _number(domain: Domain) -> Schema:
    """A number inside the domain's bounds (integers for an int domain)."""
    schema: Schema = {"type": "integer" if domain.kind == "int" else "number"}
    if domain.low is not None:
        schema["minimum" if domain.low_inclusive else "exclusiveMinimum"] = domain.low
    if domain.high is not None:
        schema["maximum" if domain.high_inclusive else "exclusiveMaximum"] = domain.high
    return schema


def _value(domain: Domain) -> Schema:
    """A fixed value or one item of ``{choice: [...]}``: what ``params.check_value`` accepts."""
    options: list[Schema]
    if domain.kind == "name":
        assert domain.names is not None
        options = [{"type": "string", "enum": list(domain.names)}]
    elif domain.kind == "bool":
        options = _bool()["anyOf"]
    else:
        options = [_number(domain), _yaml11_number()]
    if domain.nullable:
        options.append({"type": "null"})
    return options[0] if len(options) == 1 else {"anyOf": options}


def _float_bound(domain: Domain) -> Schema:
    """A bound of ``{float: [lo, hi]}``: pydantic's lax float reads numeric strings and
    booleans (true is 1.0) before the domain is checked."""
    options = [_number(domain), _ref("NumericString"), _yaml11_number()]
    for flag, words in ((False, YAML11_FALSE), (True, YAML11_TRUE)):
        if check_value(domain, float(flag)) is None:
            options += [{"const": flag}, _words(words)]
    return {"anyOf": options}


def _pair(bound: Schema) -> Schema:
    return {"type": "array", "prefixItems": [bound, bound], "minItems": 2, "maxItems": 2,
            "description": "[min, max], both included (min <= max)"}


def _per_layer(domain: Domain) -> Schema:
    if domain.per_layer:
        return {**_lax_bool(), "default": False, "description": "sample one value per layer"}
    only = ", ".join(n for n, d in SEARCH_PARAMS.items() if d.per_layer)
    return {**_lax(False), "default": False, "description": f"only {only} can be per layer"}


def _spec(key: str, domain: Domain, bounds: Schema, extra: Schema) -> Schema:
    """``{choice: ...}``, ``{int: ...}`` or ``{float: ...}`` for this domain."""
    return {"type": "object", "required": [key], "additionalProperties": False,
            "properties": {key: bounds, **extra, "per_layer": _per_layer(domain)}}


def _truthy(key: str) -> Schema:
    """An ``if`` that holds when ``key`` is set to a true value."""
    return {"required": [key], "properties": {key: _lax(True)}}


def _param(domain: Domain, generated: Schema) -> Schema:
    """One hyperparameter: a fixed value, a choice, or (numbers of its kind) a range."""
    value = _value(domain)
    choice = _spec("choice", domain, {
        "type": "array", "minItems": 1, "uniqueItems": True, "items": value,
        "description": "the values to choose from, each listed once"}, {})
    options = [choice]
    if domain.kind == "int":
        spec = _spec("int", domain, _pair(_value(domain)), {
            "step": {"anyOf": [{"type": "integer", "minimum": 1}, _yaml11_number()],
                     "default": 1, "description": "distance between values"},
            "log": {**_lax_bool(), "default": False,
                    "description": "sample on a log scale (min >= 1)"}})
        spec["allOf"] = [{"if": _truthy("log"),
                          "then": {"properties": {"int": {"prefixItems": [{"minimum": 1}]}}}}]
        options.append(spec)
    if domain.kind == "float":
        step_ok: Schema = {"anyOf": [
            {"type": "number", "exclusiveMinimum": 0}, {"type": "null"}, {"const": True},
            {"type": "string"}]}
        spec = _spec("float", domain, _pair(_float_bound(domain)), {
            "step": {**step_ok, "default": None,
                     "description": "make the range discrete (with log: a factor > 1)"},
            "log": {**_lax_bool(), "default": False,
                    "description": "sample on a log scale (min > 0)"}})
        spec["allOf"] = [
            {"if": _truthy("log"), "then": {"properties": {"float": {"prefixItems": [
                {"exclusiveMinimum": 0, "not": {"const": False}}]}}}},
            {"if": {**_truthy("log"), "required": ["log", "step"]},
             "then": {"properties": {"step": {"exclusiveMinimum": 1, "not": {"const": True}}}}},
        ]
        options.append(spec)
    options.append(value)
    kept = {k: generated[k] for k in _ANNOTATIONS if k in generated}
    return {**kept, "anyOf": options}


def _ratio(domain: Domain) -> Schema:
    """``{first: ..., ratio: ...}``: widths derived from the first layer's (no per_layer)."""
    def part(of: Domain) -> Schema:
        return {"anyOf": [o for o in _param(of, {})["anyOf"]]}

    return {"type": "object", "required": ["first"], "additionalProperties": False,
            "description": "layer i gets first x ratio^i units",
            "properties": {"first": part(domain), "ratio": {**part(LAYER_RATIO), "default": 0.5}}}


def _layers(domain: Domain) -> Schema:
    """``{per_layer: [spec, ...]}``: each layer its own spec (an entry is not per layer)."""
    entries = []
    for option in _param(domain, {})["anyOf"]:
        if "per_layer" in option.get("properties", {}):
            option = {**option, "properties": {
                **option["properties"], "per_layer": {**_lax(False), "default": False,
                                                      "description": "an entry is one layer's"}}}
        entries.append(option)
    return {"type": "object", "required": ["per_layer"], "additionalProperties": False,
            "description": "one spec per layer, first layer first",
            "properties": {"per_layer": {"type": "array", "minItems": 1,
                                         "items": {"anyOf": entries}}}}


def _tie(name: str) -> Schema:
    """``{same_as: units}``: a width that follows another width (``config/ties.py``)."""
    return {"type": "object", "required": ["same_as"], "additionalProperties": False,
            "description": "as wide as another width (its last layer's), derived",
            "properties": {"same_as": {"enum": [w for w in WIDTH_PARAMS if w != name]}}}


# --------------------------------------------------------------------------- whole-schema passes


def _add_yaml11_spellings(node: Any) -> None:
    """Let every boolean and number of pydantic's schema take its YAML 1.1-only spellings."""
    if isinstance(node, list):
        for item in node:
            _add_yaml11_spellings(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _add_yaml11_spellings(value)
    kind = node.get("type")
    if kind not in ("boolean", "integer", "number"):
        return
    extra = _ref("Yaml11Bool") if kind == "boolean" else _yaml11_number()
    typed = {k: node.pop(k) for k in list(node) if k not in _ANNOTATIONS}
    node["anyOf"] = [typed, extra]


def _lax_bools(defs: dict[str, Schema]) -> None:
    """Fields typed ``bool`` (not StrictBool) take pydantic's lax spellings: say so."""
    for name, definition in defs.items():
        model = getattr(cfg, name, None)
        fields = getattr(model, "model_fields", {})
        for field_name, field in fields.items():
            if field.annotation is bool:
                key = field.alias or field_name
                prop = definition["properties"][key]
                kept = {k: prop[k] for k in _ANNOTATIONS if k in prop}
                definition["properties"][key] = {**kept, **_lax_bool()}


def _durations(defs: dict[str, Schema]) -> None:
    """``max_time`` and ``max_trial_time``: ``2h``, ``30m``, ``1h30m``, or seconds > 0."""
    for section, key in (("TunerConfig", "max_time"), ("TrainingConfig", "max_trial_time")):
        prop = defs[section]["properties"][key]
        kept = {k: prop[k] for k in _ANNOTATIONS if k in prop}
        defs[section]["properties"][key] = {**kept, "anyOf": [
            {"type": "string", "pattern": PATTERN}, {"type": "number", "exclusiveMinimum": 0},
            _yaml11_number(), {"type": "null"}]}


def _data_names(defs: dict[str, Schema]) -> None:
    """Searched data names (``transform``, ``scaling``, ``calendar``, ``seasonal_lag``), builtin
    datasets and generators."""
    series = ("ForecastDataConfig", "DetectDataConfig")
    named = [(model, key, names) for model in series for key, names in (
        ("transform", cfg.TRANSFORM_NAMES), ("calendar", cfg.CALENDAR_NAMES),
        ("seasonal_lag", cfg.SEASONAL_LAG_NAMES))] + [
        (model, "scaling", cfg.SCALING_NAMES)
        for model in (*series, "ClassifyDataConfig", "RegressDataConfig", "LabelDataConfig")]
    for model, key, names in named:
        defs[model]["properties"][key]["anyOf"] = [
            {"type": "string", "enum": list(names)},
            {"type": "object", "required": ["choice"], "additionalProperties": False,
             "properties": {"choice": {"type": "array", "minItems": 1,
                                       "items": {"type": "string", "enum": list(names)}}}},
        ]
    from lstm_automl.data.generators import GENERATORS  # defers numpy

    builtin = {"type": "string", "pattern": "^" + BUILTIN_PREFIX}
    sources: dict[str, Schema] = {
        "ForecastDataConfig": {"enum": [BUILTIN_PREFIX + n for n in DATASETS]},
        "DetectDataConfig": {"enum": [BUILTIN_PREFIX + n for n, d in DATASETS.items()
                                      if d.label]},
        # sequence sets are looked up in any letter case
        "ClassifyDataConfig": {"pattern": _caseless(BUILTIN_PREFIX + n
                                                    for n in SEQUENCE_DATASETS)},
        "RegressDataConfig": {"pattern": _caseless(BUILTIN_PREFIX + n
                                                   for n in SEQUENCE_DATASETS)},
        "LabelDataConfig": {"not": {}},  # no shipped set has a label per step
    }
    generated = {"type": "string", "pattern": "^generate:"}
    # classify with label_from reads a series: a shipped series or a file, never a generator
    series_given = {"required": [cfg.LABEL_FROM],
                    "properties": {cfg.LABEL_FROM: {"type": "object"}}}
    for name, allowed in sources.items():
        task = defs[name]["properties"]["task"].get("const")
        when: Schema = {"not": series_given} if cfg.LABEL_FROM in defs[name]["properties"] \
            else {}
        rules = [{"if": {"properties": {"source": builtin}, **when},
                  "then": {"properties": {"source": allowed}}}]
        if task not in (FORECAST, DETECT):  # a series reads generate:... as a file path
            kinds = [f"generate:{k}" for k, g in GENERATORS.items() if g.task == task]
            rules.append({"if": {"properties": {"source": generated}, **when},
                          "then": {"properties": {"source": {"enum": kinds}}}})
        if when:
            rules.extend([
                {"if": {"allOf": [{"properties": {"source": builtin}}, series_given]},
                 "then": {"properties": {"source": sources["ForecastDataConfig"]}}},
                {"if": {"allOf": [{"properties": {"source": generated}}, series_given]},
                 "then": {"properties": {"source": {"not": {}}}}}])
        defs[name]["allOf"] = rules


def _data_by_task(generated: Schema, defs: dict[str, Schema]) -> Schema:
    """pydantic's ``oneOf`` of the three data sections, as ``if task ... then`` (what its
    discriminator does), so that an editor points at the wrong key, not at the whole section."""
    refs = [option["$ref"] for option in generated["oneOf"]]
    tasks = [defs[ref.rsplit("/", 1)[-1]]["properties"]["task"]["const"] for ref in refs]
    rules = [{"if": _task_is(task)["properties"]["data"], "then": {"$ref": ref}}
             for task, ref in zip(tasks, refs, strict=True)]
    kept = {k: generated[k] for k in _ANNOTATIONS if k in generated}
    return {**kept, "type": "object", "properties": {"task": {"enum": tasks}}, "allOf": rules}


def _task_is(task: str) -> Schema:
    """An ``if`` on the whole file: ``data.task`` is ``task`` (forecast when it is absent)."""
    is_task: Schema = {"required": ["task"], "properties": {"task": {"const": task}}}
    if task == FORECAST:
        is_task = {"anyOf": [is_task, {"not": {"required": ["task"]}}]}
    return {"required": ["data"], "properties": {"data": {"type": "object", **is_task}}}


def _objective(names: list[str]) -> Schema:
    return {"properties": {"tuner": {"properties": {"objective": {"enum": names}}}}}


def _objective_rules() -> list[Schema]:
    """The objectives a task's models report; backtest_* only with ``data.backtest`` (the
    ``objective`` rule of ``rules.RULES``)."""
    has_backtest = {"required": ["backtest"], "properties": {"backtest": {"type": "object"}}}
    no_python_model = {"not": {"required": ["model"]}}  # its own metrics are the run's to check
    rules = []
    for task in TASK_METRICS:
        if task not in BACKTEST_TASKS:
            rules.append({"if": {**_task_is(task), "allOf": [no_python_model]},
                          "then": _objective(objective_names(task))})
            continue
        for backtest in (False, True):
            condition = copy.deepcopy(_task_is(task))
            data = condition["properties"]["data"]
            data["allOf"] = [has_backtest if backtest else {"not": has_backtest}]
            rules.append({"if": {**condition, "allOf": [no_python_model]},
                          "then": _objective(objective_names(task, backtest))})
    return rules


def _uses(value: str) -> Schema:
    """A search value that is ``value`` or a choice listing it."""
    return {"anyOf": [{"const": value},
                      {"type": "object", "required": ["choice"],
                       "properties": {"choice": {"type": "array", "contains": {"const": value}}}}]}


def _search(**params: Schema) -> Schema:
    return {"properties": {"search": {"properties": params}}}


def _forecast_only_rules() -> list[Schema]:
    """The ``window_settings`` rule of ``rules.RULES`` (``params.window_checks``) as far as no
    two values of the file are compared."""
    not_forecast = {"not": {"anyOf": [_task_is(FORECAST), _task_is(DETECT)]}}
    only_none = {"anyOf": [{"const": "none"}, {"type": "object", "properties": {
        "choice": {"items": {"const": "none"}}}}]}
    not_recursive = {"not": _uses("recursive")}
    rules = [{"if": not_forecast, "then": _search(window_norm=only_none, residual=only_none,
                                                   multi_step=not_recursive)}]
    several = {"type": "array", "minItems": 2}
    rules.append({  # recursive feeds the target back: other input channels have no future
        "if": {"required": ["data"], "properties": {"data": {
            "type": "object", "required": ["features"], "properties": {"features": {"anyOf": [
                several, {"type": "object", "required": ["choice"], "properties": {
                    "choice": {"type": "array", "items": several}}}]}}}}},
        "then": _search(multi_step=not_recursive)})
    rules.append({  # several target columns: no single target channel to work on
        "if": {"required": ["data"], "properties": {"data": {
            "type": "object", "required": ["target"], "properties": {"target": several}}}},
        "then": _search(window_norm=only_none, residual=only_none, multi_step=not_recursive)})
    # residual: seasonal_naive needs a season: set, the builtin's, or (a file) inferred from
    # data.time_column. Then data.season is required.
    no_season = {"anyOf": [{"not": {"required": ["season"]}},
                           {"properties": {"season": {"type": "null"}}}]}
    no_time = {"anyOf": [{"not": {"required": ["time_column"]}},
                         {"properties": {"time_column": {"type": "null"}}}]}
    unseasonal = [BUILTIN_PREFIX + n for n, d in DATASETS.items() if d.season is None]
    builtins = [BUILTIN_PREFIX + n for n in DATASETS]
    condition = copy.deepcopy(_task_is(FORECAST))
    condition["properties"]["data"]["allOf"] = [no_season, {"anyOf": [
        {"properties": {"source": {"enum": unseasonal}}},
        {"allOf": [{"properties": {"source": {"not": {"enum": builtins}}}}, no_time]}]}]
    condition["required"] = ["data", "search"]
    condition["properties"]["search"] = {"type": "object", "required": ["residual"],
                                         "properties": {"residual": _uses("seasonal_naive")}}
    rules.append({"if": condition, "then": {"properties": {"data": {
        "required": ["season"], "properties": {"season": {"type": "integer"}}}}}})
    return rules


def _grid_rule() -> Schema:
    """Grid search needs a discrete space: no ``{float: ...}`` range without a step (the
    ``grid_discrete`` rule of ``rules.RULES``)."""
    continuous = {"type": "object", "required": ["float"], "anyOf": [
        {"not": {"required": ["step"]}}, {"properties": {"step": {"type": "null"}}}]}
    floats = {name: {"not": continuous} for name, d in SEARCH_PARAMS.items() if d.kind == "float"}
    return {"if": {"required": ["tuner"], "properties": {"tuner": {
        "type": "object", "required": ["algorithm"], "properties": {"algorithm": {
            "const": "grid"}}}}},
            "then": _search(**floats)}


def _python_model_rule() -> Schema:
    """With ``model.python`` the function builds the network: ``search`` keeps only the
    training settings (``python_model.TRAINING_PARAMS``), as ``validate`` says (the
    ``python_model`` rule of ``rules.RULES``)."""
    return {"if": {"required": ["model"], "properties": {"model": {"type": "object"}}},
            "then": {"properties": {"search": {"propertyNames": {"enum": list(TRAINING_PARAMS)}}}}}


def _drop_unused(schema: Schema) -> None:
    """Remove ``$defs`` nothing refers to any more (the generic spec models)."""
    text = json.dumps({k: v for k, v in schema.items() if k != "$defs"})
    defs = schema["$defs"]
    while True:
        text_all = text + json.dumps(defs)
        unused = [n for n in defs if f'"#/$defs/{n}"' not in text_all]
        if not unused:
            return
        for name in unused:
            del defs[name]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
