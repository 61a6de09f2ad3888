"""Describe a search space without building it: which values are searched and how many points.

Light on purpose: ``validate`` prints this, and it must not import keras-tuner or TensorFlow.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from lstm_automl.config.params import (
    SEARCH_PARAMS,
    condition_parents,
    layer_parent,
    rule_holds,
    short_list,
)
from lstm_automl.config.schema import (
    ChoiceSpec,
    FloatSpec,
    IntSpec,
    LayerSpecs,
    RatioSpec,
    TiedSpec,
    spec_values,
)


def is_searched(spec: Any) -> bool:
    """True when the spec leaves a choice to the tuner (a ratio spec: always shown, since its
    widths differ per layer; a tied width too, since it follows another; a spec per layer)."""
    if isinstance(spec, (RatioSpec, TiedSpec, LayerSpecs)):
        return True
    if isinstance(spec, (ChoiceSpec, IntSpec, FloatSpec)):
        values = spec_values(spec)
        return values is None or len(values) > 1 or bool(getattr(spec, "per_layer", False))
    return False


def describe_spec(spec: Any) -> str:
    """A short human description, e.g. ``int 16..128 step 16, per layer``."""
    if isinstance(spec, RatioSpec):
        return (f"first layer {describe_spec(spec.first)}; each next layer x "
                f"{describe_spec(spec.ratio).removeprefix('fixed ')}")
    if isinstance(spec, LayerSpecs):
        return "; ".join(f"layer {i}: {describe_spec(part)}"
                         for i, part in enumerate(spec.per_layer))
    if isinstance(spec, TiedSpec):
        last = {"units": " (the last recurrent layer's)",
                "dense_units": " (the last dense layer's)"}.get(spec.same_as, "")
        return f"same as {spec.same_as}{last}, derived"
    if isinstance(spec, ChoiceSpec):
        text = "choice of " + short_list(_fmt(v) for v in spec.choice)
    elif isinstance(spec, IntSpec):
        lo, hi = spec.int_
        text = f"int {lo}..{hi}" + (f" step {spec.step}" if spec.step != 1 else "")
        text += ", log" if spec.log else ""
    elif isinstance(spec, FloatSpec):
        low, high = spec.float_
        text = f"float {low:g}..{high:g}" + (f" step {spec.step:g}" if spec.step else "")
        text += ", log" if spec.log else ""
    else:
        return f"fixed {_fmt(spec)}"
    return text + (", per layer" if getattr(spec, "per_layer", False) else "")


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _count(spec: Any) -> int | None:
    if isinstance(spec, RatioSpec):  # the widths follow from first and ratio
        first, ratio = _count(spec.first), _count(spec.ratio)
        return None if first is None or ratio is None else first * ratio
    if isinstance(spec, TiedSpec):  # follows another value: no choice of its own
        return 1
    values = spec_values(spec)
    return None if values is None else len(values)


def space_size(specs: dict[str, Any]) -> int | None:
    """Number of distinct configurations, or None when some range is continuous.

    Conditional values (per-layer widths, conv and dense settings) count only where they exist.
    """
    structural = {name: spec_values(specs[name]) or [] for name in condition_parents()}
    total = 0
    for combo in itertools.product(*structural.values()):
        chosen = dict(zip(structural, combo, strict=True))
        size = 1
        for name, domain in SEARCH_PARAMS.items():
            if name in structural or not _active(domain.active_when, chosen):
                continue
            if isinstance(specs[name], LayerSpecs):
                counts = [_count(p) for p in specs[name].per_layer[:int(chosen[layer_parent(
                    domain)])]]
                if None in counts:
                    return None
                size *= math.prod(c for c in counts if c is not None)
                continue
            count = _count(specs[name])
            if count is None:
                return None
            if getattr(specs[name], "per_layer", False):
                layers = chosen[layer_parent(domain)]
                count = count ** int(layers)
            size *= count
        total += size
    return total


def _active(condition: tuple[str, str] | None, chosen: dict[str, Any]) -> bool:
    if condition is None:
        return True
    parent, rule = condition
    return rule_holds(rule, chosen[parent])


def summary_rows(specs: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, description) for every searched hyperparameter, in schema order."""
    return [(name, describe_spec(spec)) for name, spec in specs.items() if is_searched(spec)]


def format_size(size: int | None) -> str:
    if size is None:
        return "continuous"
    if size >= 10**12:
        return f"about 10^{int(math.log10(size))} configurations"
    return f"{size:,} configuration{'s' if size != 1 else ''}"


def data_rows(config: Any) -> list[tuple[str, str]]:
    """(name, description) of each searched data setting, e.g. ``data.lookback: choice of
    24, 48 (2, 4 x horizon 12)``."""
    searched: dict[str, list[Any]] = config.data.searched_data()
    rows = []
    for name, values in searched.items():
        text = "choice of " + short_list(
            "+".join(v) if isinstance(v, list) else _fmt(v) for v in values)
        multiples = getattr(config.data.setting(name), "multiple_of_horizon", None)
        if multiples:
            text += f" ({short_list(multiples)} x horizon {config.data.horizon})"
        rows.append((f"data.{name}", text))
    return rows


def data_size(config: Any) -> int:
    total = 1
    for values in config.data.searched_data().values():
        total *= len(values)
    return total


def training_rows(config: Any) -> list[tuple[str, str]]:
    """(name, description) of each searched training setting (epochs, shuffle, seed)."""
    return [(f"training.{name}", describe_spec(spec))
            for name, spec in config.training.searched().items() if is_searched(spec)]


def training_size(config: Any) -> int | None:
    total: int | None = 1
    for spec in config.training.searched().values():
        count = _count(spec)
        total = None if count is None or total is None else total * count
    return total


def searched_names(config: Any) -> list[str]:
    """The trial value names of everything searched, as trials carry them: the network's
    (``units``), the data's (``data.lookback``) and training's (``seed``)."""
    return ([f"data.{name}" for name in config.data.searched_data()]
            + [name for name, _ in summary_rows(config.search.specs())]
            + [name for name, spec in config.training.searched().items() if is_searched(spec)])


def sweep_space(config: Any) -> tuple[list[tuple[str, str]], int | None]:
    """Every searched setting, model, data and training, and the size of the whole space."""
    specs = config.search.specs()
    size = space_size(specs)
    rows = data_rows(config) + summary_rows(specs) + training_rows(config)
    if getattr(config, "model", None) is not None:  # its hyperparameters are declared in Python
        return [("model", f"python {config.model.python}"), *rows], None
    trained = training_size(config)
    if size is None or trained is None:
        return rows, None
    return rows, size * data_size(config) * trained


def space_text(config: Any, size: int | None) -> str:
    """The space's size as printed; a ``model.python`` function declares hyperparameters that
    only its runs reveal."""
    if getattr(config, "model", None) is not None:
        return "more than the YAML says: the function declares its own hyperparameters"
    return format_size(size)


def budget_text(config: Any) -> str | None:
    """How the search spends its budget, one line (None when nothing beyond max_trials is set):
    ``pruning median (from epoch 2, against at least 3 other trials); max_time 2h``."""
    parts = []
    pruning = config.tuner.pruning
    if pruning.enabled:
        extra = f", reduction factor {pruning.reduction_factor}" if pruning.rule == "asha" else ""
        trials = f"{pruning.min_trials} other trial{'s' if pruning.min_trials != 1 else ''}"
        parts.append(f"pruning {pruning.rule} (from epoch {pruning.min_epochs}, against at "
                     f"least {trials}{extra})")
    if config.tuner.max_time is not None:
        parts.append(f"max_time {config.tuner.max_time}")
    if config.training.max_trial_time is not None:
        parts.append(f"max_trial_time {config.training.max_trial_time}")
    if config.tuner.target is not None:
        parts.append(f"target {config.tuner.objective} {config.tuner.target:g}")
    count = len(config.tuner.start_with)
    if count:
        parts.append(f"{count} start_with configuration{'s' if count != 1 else ''} first")
    if getattr(config.tuner, "warm_start", None):
        parts.append(f"warm start from sweep '{config.tuner.warm_start}'")
    return "; ".join(parts) or None


def final_model_text(config: Any) -> str | None:
    """What is registered, one line, where it is more than the best trial as trained:
    ``mean of the 3 best trials x 2 seeds, refit; Monte-Carlo dropout, 50 passes``."""
    final = config.final_model
    parts = []
    if final.top_k > 1 or final.seeds > 1:
        parts.append(f"mean of the {final.top_k} best trial{'s' if final.top_k > 1 else ''} x "
                     f"{final.seeds} seed{'s' if final.seeds > 1 else ''}")
    if final.refit:
        parts.append("refit on train + validation")
    mc = final.mc_dropout
    if mc is not None:
        quantiles = ", ".join(f"q{100 * q:g}" for q in mc.quantiles)
        parts.append(f"Monte-Carlo dropout, {mc.samples} passes (mean, std"
                     f"{', ' + quantiles if quantiles else ''})")
    if final.blend == "with_baselines":
        parts.append("blended with the classical baselines, weights chosen on validation")
    return "; ".join(parts) or None
