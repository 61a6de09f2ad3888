"""``tuner.start_with``: configurations the tuner tries first, checked against the search space.

Each entry names hyperparameters as the sweep file does (``units``, ``learning_rate``; a per-layer
value as one value for every layer, a list, or ``units_1``; a searched data setting such as
``lookback``). A value must be one the space can take: a key the space does not have, or a value
outside its range or choices, is refused up front like any other config error. Light: no
TensorFlow, no keras-tuner.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from lstm_automl.config.params import (
    DATA_PREFIX,
    SEARCH_PARAMS,
    TRAINING_PARAMS,
    check_value,
    encode_data,
    encode_null,
    layer_key,
    layer_parent,
    short_list,
    split_layer_key,
)
from lstm_automl.config.schema import (
    ChoiceSpec,
    FloatSpec,
    IntSpec,
    LayerSpecs,
    SweepConfig,
    coerce_spec,
    layer_parts,
    spec_values,
)

KEY = "tuner.start_with"
ALGORITHMS = ("random", "bayesian", "hyperband")


def start_with_problems(config: SweepConfig) -> list[str]:
    """One line per unusable entry value, ``tuner.start_with[i].key: why``."""
    entries = config.tuner.start_with
    if not entries:
        return []
    if config.tuner.algorithm not in ALGORITHMS:
        return [f"{KEY}: {config.tuner.algorithm} search walks the space in its own order; "
                f"start_with works with {', '.join(ALGORITHMS)}"]
    problems = []
    for index, entry in enumerate(entries):
        if not entry:
            problems.append(f"{KEY}[{index}]: empty; name at least one hyperparameter")
        for key, value in entry.items():
            why = _problem(config, key, value)
            if why:
                problems.append(f"{KEY}[{index}].{key}: {why}")
    return problems


def warm_start_problems(config: SweepConfig) -> list[str]:
    """``tuner.warm_start``: an algorithm that can take earlier results, another sweep's name.
    Whether that sweep exists is checked against the tracking store when the run starts."""
    earlier = config.tuner.warm_start
    if earlier is None:
        return []
    if config.tuner.algorithm not in ALGORITHMS:
        return [f"tuner.warm_start: {config.tuner.algorithm} search walks the space in its own "
                f"order; warm_start works with {', '.join(ALGORITHMS)}"]
    if earlier == config.name:
        return [f"tuner.warm_start: '{earlier}' is this sweep's own name; a sweep goes on from "
                f"its own trials when it is run again (resume), so name an earlier sweep"]
    if not earlier.strip():
        return ["tuner.warm_start: empty; name an earlier sweep"]
    return []


def hp_values(config: SweepConfig, entry: dict[str, Any]) -> dict[str, Any]:
    """One checked entry as keras-tuner values: per-layer keys spread out, nulls encoded, data
    settings under their ``data.`` names. Keys the YAML does not know (a ``model.python``
    function's own) pass through for the tuner to check against the space it declares."""
    specs = config.search.specs()
    searched = _searched_data(config)
    values: dict[str, Any] = {}
    for key, value in entry.items():
        if key in searched:
            values[DATA_PREFIX + key] = encode_data(key, value)
            continue
        name, index = _param_of(key)
        if name is None:
            values[key] = value
            continue
        domain = SEARCH_PARAMS[name]
        if index is not None:
            values[key] = encode_null(domain, coerce_spec(name, value))
        elif getattr(specs[name], "per_layer", False):
            layers = value if isinstance(value, list) else [value] * _max_layers(specs, name)
            for i, item in enumerate(layers):
                values[layer_key(name, i)] = encode_null(domain, coerce_spec(name, item))
        else:
            values[name] = encode_null(domain, coerce_spec(name, value))
    return values


def _searched_data(config: SweepConfig) -> dict[str, list[Any]]:
    searched: dict[str, list[Any]] = getattr(config.data, "searched_data", dict)()
    return searched


def _param_of(key: str) -> tuple[str | None, int | None]:
    """(hyperparameter, layer index or None) that ``key`` names; (None, None) if none."""
    if key in SEARCH_PARAMS:
        return key, None
    split = split_layer_key(key)
    if split and split[0] in SEARCH_PARAMS and SEARCH_PARAMS[split[0]].per_layer:
        return split
    return None, None


def _max_layers(specs: dict[str, Any], name: str) -> int:
    parent = layer_parent(SEARCH_PARAMS[name])
    return max(int(v) for v in spec_values(specs[parent]) or [1])


def _problem(config: SweepConfig, key: str, value: Any) -> str | None:
    searched = _searched_data(config)
    if key in searched:
        choices = searched[key]
        return None if value in choices else (
            f"{value!r} is not one of the choices of data.{key}: {short_list(choices)}")
    name, index = _param_of(key)
    python = config.model is not None
    if name is None:
        if python:
            return None  # the function's own hyperparameter: checked once it declared them
        known = [*SEARCH_PARAMS, *searched]
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"not a hyperparameter of this sweep{hint}"
    if python and name not in TRAINING_PARAMS:
        return None  # the function may declare a hyperparameter of that name itself
    spec = config.search.specs()[name]
    source = getattr(spec, "same_as", None)
    if source is not None:
        return f"search.{name} follows {source} (same_as); set {source} instead"
    per_layer = getattr(spec, "per_layer", False)
    if index is not None or isinstance(value, list):
        if not per_layer:
            return (f"a value per layer needs search.{name} to be searched per_layer; give "
                    f"one value")
        items = value if isinstance(value, list) else [value]
        first = index or 0
        if first + len(items) > _max_layers(config.search.specs(), name):
            return f"more layers than search.{layer_parent(SEARCH_PARAMS[name])} allows"
        return next((why for i, item in enumerate(items, start=first)
                     if (why := _outside(name, _layer(spec, i), item))), None)
    if isinstance(spec, LayerSpecs):  # one value for every layer: each layer's spec takes it
        return next((why for i in range(_max_layers(config.search.specs(), name))
                     if (why := _outside(name, _layer(spec, i), value))), None)
    return _outside(name, spec, value)


def _layer(spec: Any, index: int) -> Any:
    """Layer ``index``'s spec; a list too short for it (refused by ``layer_specs``) its last."""
    parts = layer_parts(spec)
    return parts[min(index, len(parts) - 1)]


def _outside(name: str, spec: Any, value: Any) -> str | None:
    """Why ``value`` is not a value search.``name`` can take, or None."""
    value = coerce_spec(name, value)
    why = check_value(SEARCH_PARAMS[name], value)
    if why:
        return why
    if isinstance(spec, ChoiceSpec):
        if any(value == c and type(value) is type(c) for c in spec.choice):
            return None
        return f"{value!r} is not one of the choices of search.{name}: {short_list(spec.choice)}"
    if isinstance(spec, (IntSpec, FloatSpec)):
        return _outside_range(name, spec, value)
    if value == spec and type(value) is type(spec):
        return None
    return f"search.{name} is fixed at {spec!r}; start_with cannot change it"


def _outside_range(name: str, spec: IntSpec | FloatSpec, value: Any) -> str | None:
    low, high = spec.int_ if isinstance(spec, IntSpec) else spec.float_
    span = f"search.{name} ranges from {low:g} to {high:g}"
    if value < low * (1 - 1e-12) - 1e-12 or value > high * (1 + 1e-12) + 1e-12:
        return f"{value!r} is outside the range: {span}"
    stepped = spec.step > 1 if isinstance(spec, IntSpec) else spec.step is not None
    grid = spec_values(spec) if stepped else None
    if grid is not None and not any(math.isclose(value, g, rel_tol=1e-9, abs_tol=1e-12)
                                    for g in grid):
        return f"{value!r} is between the steps of search.{name}: {short_list(grid)}"
    return None
