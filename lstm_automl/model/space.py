"""Config search space → keras-tuner HyperParameters, and back to a plain dict of values.

Per-layer values (``units_2``) and settings that only matter for part of the space (conv and
dense-head values) are declared inside ``conditional_scope``, so the tuner's model of the space
is never fed values of layers that do not exist.
"""

from __future__ import annotations

import contextlib
from typing import Any

import keras_tuner as kt

from lstm_automl.config.params import (
    LAYER_RATIO,
    RATIO_SUFFIX,
    SEARCH_PARAMS,
    STRUCTURAL_PARAMS,
    TRAINING_PARAMS,
    TRAINING_SEARCH,
    Domain,
    decode_null,
    derived_widths,
    encode_null,
    layer_key,
    layer_parent,
    rule_holds,
)
from lstm_automl.config.schema import (
    ChoiceSpec,
    FloatSpec,
    IntSpec,
    RatioSpec,
    layer_spec,
    spec_values,
)
from lstm_automl.config.ties import resolve_ties, tie_source


def _declare(hp: kt.HyperParameters, name: str, spec: Any, domain: Domain) -> Any:
    """Declare one hyperparameter and return its current value (None restored for nullables)."""
    return decode_null(domain, _declare_encoded(hp, name, spec, domain))


def _declare_encoded(hp: kt.HyperParameters, name: str, spec: Any, domain: Domain) -> Any:
    if isinstance(spec, ChoiceSpec) and domain.nullable:
        spec = ChoiceSpec(choice=[encode_null(domain, v) for v in spec.choice],
                          per_layer=spec.per_layer)
    else:
        spec = encode_null(domain, spec)
    if isinstance(spec, ChoiceSpec):
        values = list(spec.choice)
        if len(values) == 1:
            return hp.Fixed(name, values[0])
        if sorted(values, key=str) == [False, True]:
            return hp.Boolean(name, default=bool(domain.default))
        default = domain.default if domain.default in values else values[0]
        return hp.Choice(name, values, default=default)
    if isinstance(spec, IntSpec):
        lo, hi = spec.int_
        if lo == hi:
            return hp.Fixed(name, lo)
        return hp.Int(name, lo, hi, step=spec.step if spec.step > 1 else None,
                      sampling="log" if spec.log else "linear")
    if isinstance(spec, FloatSpec):
        low, high = spec.float_
        if low == high:
            return hp.Fixed(name, low)
        return hp.Float(name, low, high, step=spec.step,
                        sampling="log" if spec.log else "linear")
    return hp.Fixed(name, spec)


def _parent_values(specs: dict[str, Any], parent: str) -> list[Any]:
    return spec_values(specs[parent]) or []


def declare_space(hp: kt.HyperParameters, specs: dict[str, Any]) -> dict[str, Any]:
    """Declare every hyperparameter of ``specs`` on ``hp`` and return the values of this trial.

    The returned dict has plain keys the model builder reads: ``units`` is a list with one width
    per recurrent layer (shared or per layer), ``dense_units`` likewise per dense layer; ``cell``
    is one family, or a list of one per layer where it is searched per layer.
    """
    values: dict[str, Any] = {}
    for name in STRUCTURAL_PARAMS:
        values[name] = _declare(hp, name, specs[name], SEARCH_PARAMS[name])
    for name, domain in SEARCH_PARAMS.items():
        if name in STRUCTURAL_PARAMS:
            continue
        spec = specs[name]
        if not domain.declared_at_default and _fixed_at_default(spec, domain):
            values[name] = domain.default  # no keras-tuner value: see Domain.declared_at_default
            continue
        if tie_source(spec) is not None:  # derived below, never sampled
            values[name] = None
            continue
        if isinstance(spec, RatioSpec):
            values[name] = _declare_ratio(hp, name, spec, domain, specs, values)
            continue
        if getattr(spec, "per_layer", False):
            values[name] = _declare_per_layer(hp, name, spec, domain, specs, values)
            continue
        condition = _condition(domain, specs)
        if condition is None:
            values[name] = _declare(hp, name, spec, domain)
        else:
            parent, active = condition
            if not active:  # a fixed parent switches this value off for the whole sweep
                values[name] = None
                continue
            with hp.conditional_scope(parent, active):
                declared = _declare(hp, name, spec, domain)
            values[name] = declared if values[parent] in active else None
    resolve_ties(values, specs)
    for name, domain in SEARCH_PARAMS.items():
        # A shared cell family stays one name (as before per-layer cells); numbers become lists.
        if domain.per_layer and (domain.kind != "name" or isinstance(values[name], list)):
            count = values[layer_parent(domain)]
            values[name] = _per_layer_list(values[name], count)
    return values


def _fixed_at_default(spec: Any, domain: Domain) -> bool:
    """The sweep leaves this key at its default: one value, the table's."""
    if getattr(spec, "per_layer", False) or isinstance(spec, RatioSpec):
        return False
    values = spec_values(spec)
    return values is not None and len(values) == 1 and values[0] == domain.default


def _condition(domain: Domain, specs: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """(parent, parent values where this one is active), or None when always active.

    A fixed parent needs no scope: the value is simply active or not for the whole sweep.
    """
    if domain.active_when is None:
        return None
    parent, rule = domain.active_when
    parent_values = _parent_values(specs, parent)
    active = [v for v in parent_values if rule_holds(rule, v)]
    if len(parent_values) <= 1 and not getattr(specs[parent], "per_layer", False):
        return None if active else (parent, active)
    return parent, active


def _declare_ratio(hp: kt.HyperParameters, name: str, spec: RatioSpec, domain: Domain,
                   specs: dict[str, Any], values: dict[str, Any]) -> list[int] | None:
    """``first`` and ``ratio`` as the two hyperparameters ``units`` and ``units_ratio``; the
    widths of the layers this trial has are derived from them, never sampled one by one."""
    condition = _condition(domain, specs)
    scope = (hp.conditional_scope(*condition) if condition and condition[1]
             else contextlib.nullcontext())
    if condition and not condition[1]:  # a fixed parent switches it off for the whole sweep
        return None
    with scope:
        first = _declare(hp, name, spec.first, domain)
        ratio = _declare(hp, name + RATIO_SUFFIX, spec.ratio, LAYER_RATIO)
    parent = values[layer_parent(domain)]
    if condition and parent not in condition[1]:
        return None
    return derived_widths(int(first), float(ratio), int(parent))


def _declare_per_layer(hp: kt.HyperParameters, name: str, spec: Any, domain: Domain,
                       specs: dict[str, Any], values: dict[str, Any]) -> list[Any]:
    """One hyperparameter per layer (``units_0``, ``units_1``...), each only while it exists;
    each from its own entry where the spec gives one per layer (``{per_layer: [...]}``)."""
    parent = layer_parent(domain)
    counts = [int(v) for v in _parent_values(specs, parent)]
    chosen: list[Any] = []
    for index in range(max(counts)):
        active = [c for c in counts if c > index]
        if len(counts) > 1:
            with hp.conditional_scope(parent, active):
                value = _declare(hp, layer_key(name, index), layer_spec(spec, index), domain)
        else:
            value = _declare(hp, layer_key(name, index), layer_spec(spec, index), domain)
        if index < int(values[parent]):
            chosen.append(value)
    return chosen


def _per_layer_list(value: Any, count: int) -> list[Any]:
    if isinstance(value, list):
        return value[:count]
    return [value] * int(count)


def declare_training(hp: kt.HyperParameters, specs: dict[str, Any]) -> dict[str, Any]:
    """Declare only the training settings (``model.python``: the user's function declares the
    network's own), and return their values for this trial."""
    values: dict[str, Any] = {}
    for name in TRAINING_PARAMS:
        domain = SEARCH_PARAMS[name]
        if not domain.declared_at_default and _fixed_at_default(specs[name], domain):
            values[name] = domain.default  # see Domain.declared_at_default
        else:
            values[name] = _declare(hp, name, specs[name], domain)
    return values


def declare_training_settings(hp: kt.HyperParameters, specs: dict[str, Any]) -> dict[str, Any]:
    """Declare the searched training settings (``TrainingConfig.searched()``: epochs, shuffle,
    seed) under their own names and return this trial's values."""
    return {name: _declare(hp, name, spec, TRAINING_SEARCH[name]) for name, spec in specs.items()}
