"""Checks of the search space as a whole that no single value shows: a width ratio that grows
past the width limit over the deepest stack, a bayesian search too short to leave its random
start, and a bounded output activation against the target's scaling.

Light: no TensorFlow, JAX, keras-tuner or MLflow (``validate`` runs them).
"""

from __future__ import annotations

from typing import Any

from lstm_automl.config.names import OUTPUT_ACTIVATIONS
from lstm_automl.config.params import (
    SEARCH_PARAMS,
    derived_widths,
    layer_parent,
    ratio_params,
    rule_holds,
)
from lstm_automl.config.schema import (
    FloatSpec,
    IntSpec,
    LayerSpecs,
    RatioSpec,
    layer_parts,
    spec_values,
)

# keras-tuner's random start: this many random trials per searched hyperparameter, at least this
# many in all (tuning/bayesian.py ``initial_points``, which needs keras-tuner to count).
RANDOM_PER_SEARCHED = 3


def _bounds(spec: Any) -> tuple[float, float]:
    """The smallest and largest value a spec can take (ranges by their ends; a spec per layer:
    over all its layers)."""
    if isinstance(spec, LayerSpecs):
        ends = [_bounds(part) for part in spec.per_layer]
        return min(lo for lo, _ in ends), max(hi for _, hi in ends)
    if isinstance(spec, IntSpec):
        return float(spec.int_[0]), float(spec.int_[1])
    if isinstance(spec, FloatSpec):
        return float(spec.float_[0]), float(spec.float_[1])
    values = [float(v) for v in spec_values(spec) or []]
    return min(values), max(values)


def ratio_width_problems(specs: dict[str, Any]) -> list[str]:
    """``{first, ratio}`` widths whose deepest layer can grow past the width's limit: the
    derived widths are never checked one by one, so a ratio above 1 over many layers would build
    layers of tens of thousands of units (``{first: 256, ratio: 2}`` over 8 layers: 32768)."""
    problems = []
    for name in ratio_params():
        spec = specs[name]
        if not isinstance(spec, RatioSpec):
            continue
        domain = SEARCH_PARAMS[name]
        first, ratio = _bounds(spec.first)[1], _bounds(spec.ratio)[1]
        layers = int(_bounds(specs[layer_parent(domain)])[1])
        if ratio <= 1 or layers < 2 or domain.high is None:
            continue
        widths = derived_widths(int(first), ratio, layers)
        if widths[-1] > domain.high:
            problems.append(
                f"search.{name}: {{first: {int(first)}, ratio: {ratio:g}}} over "
                f"{layers} {layer_parent(domain)} reaches {widths[-1]} {name} in layer {layers}, "
                f"above the limit of {int(domain.high)}; lower first or ratio (or "
                f"{layer_parent(domain)})")
    return problems


def searched_count(config: Any) -> int:
    """How many hyperparameters every trial of the sweep declares with more than one value:
    what keras-tuner's random start is sized by (per-layer values count once per layer that
    every trial has; values switched on by a searched parent are left out)."""
    specs = config.search.specs()
    count = 0
    for name, domain in SEARCH_PARAMS.items():
        spec = specs[name]
        if domain.active_when is not None and not _always_active(domain.active_when, specs):
            continue
        if isinstance(spec, RatioSpec):
            count += is_searched_values(spec.first) + is_searched_values(spec.ratio)
        elif getattr(spec, "per_layer", False):
            every = int(_bounds(specs[layer_parent(domain)])[0])  # layers every trial has
            parts = layer_parts(spec) if isinstance(spec, LayerSpecs) else [spec] * every
            count += sum(is_searched_values(part) for part in parts[:every])
        else:
            count += is_searched_values(spec)
    count += sum(len(values) > 1 for values in config.data.searched_data().values())
    count += sum(is_searched_values(spec) for spec in config.training.searched().values())
    return count


def _always_active(condition: tuple[str, str], specs: dict[str, Any]) -> bool:
    parent, rule = condition
    values = spec_values(specs[parent])
    return values is not None and all(rule_holds(rule, v) for v in values)


def is_searched_values(spec: Any) -> bool:
    """More than one value (a per-layer flag alone does not make a value searched)."""
    values = spec_values(spec)
    return values is None or len(values) > 1


def bayesian_start_notes(config: Any) -> list[str]:
    """A bayesian search whose every trial falls in its random start never runs its Gaussian
    process: the sweep is a random search under another name."""
    tuner = config.tuner
    if tuner.algorithm != "bayesian" or config.model is not None or tuner.warm_start:
        return []  # a model.python function declares values of its own; warm starts add trials
    searched = searched_count(config)
    start = max(RANDOM_PER_SEARCHED * searched, RANDOM_PER_SEARCHED)
    if searched == 0 or tuner.max_trials > start:
        return []
    return [f"tuner.max_trials: all {tuner.max_trials} bayesian trials fall in the random start "
            f"({RANDOM_PER_SEARCHED} random trials per searched hyperparameter, {searched} "
            f"searched: {start}), so the Gaussian process never runs; it needs max_trials of at "
            f"least {start + 1}, or use algorithm: random"]


# Scalings that centre the scaled target on 0, with about a third of it beyond -1 and 1.
CENTRED_SCALINGS = ("standard", "robust")


def _choices(value: Any) -> list[Any]:
    """The values of a fixed or searched setting (``{choice: [...]}``)."""
    return list(value.choice) if hasattr(value, "choice") else [value]


def _scaling_fit(activation: str, scaling: str) -> tuple[str | None, str | None]:
    """(problem, note) of one bounded output activation with one target scaling."""
    allowed = OUTPUT_ACTIVATIONS[activation]
    if scaling in CENTRED_SCALINGS:
        half = "half of it below 0" if activation != "tanh" else "a third of it beyond -1 and 1"
        return (f"outputs values {allowed}, but data.scaling {scaling} centres the scaled target "
                f"on 0 with {half}; use data.scaling: minmax or output_activation: linear"), None
    if scaling == "minmax" and activation != "relu":
        return None, (f"outputs values {allowed}: with data.scaling minmax the training targets "
                      f"fill 0..1, so values above the training maximum cannot be predicted")
    if scaling == "none":
        return None, f"outputs values {allowed}: with data.scaling none the targets must too"
    return None, None


def output_activation_checks(config: Any) -> tuple[list[str], list[str]]:
    """(problems, notes) of a bounded ``output_activation``: the model learns the target as
    scaled, so the scaling must put it in the activation's range; classification has its own
    head. Refused where no searched scaling fits, noted where some trials' targets leave it."""
    found = [str(v) for v in spec_values(config.search.specs()["output_activation"]) or []]
    bounded = [a for a in dict.fromkeys(found) if a != "linear"]
    if not bounded:
        return [], []
    if config.data.task in ("classify", "label"):
        return [f"search.output_activation: {bounded[0]} is for regress and forecast heads; "
                f"{config.data.task} ends in sigmoid or softmax"], []
    problems, notes = [], []
    scalings = [str(s) for s in _choices(getattr(config.data, "scaling", "none"))]
    for activation in bounded:
        fits = [_scaling_fit(activation, s) for s in scalings]
        refused = [p for p, _ in fits if p]
        if len(refused) == len(fits):
            problems.append(f"search.output_activation: {activation} {refused[0]}")
            continue
        notes += [f"search.output_activation: {activation} {n}" for _, n in fits if n]
        notes += [f"search.output_activation: {activation} {p} (in trials with that scaling)"
                  for p in refused]
    searched = [n for n in ("window_norm", "residual")
                if set(spec_values(config.search.specs()[n]) or []) - {"none"}]
    if searched and not problems:
        notes.append(f"search.output_activation: with {' or '.join(searched)} it bounds the "
                     f"network's part of the forecast, not the forecast itself")
    return problems, notes


def batch_norm_between_notes(config: Any) -> list[str]:
    """``batch_norm_between`` needs two recurrent layers to sit between, and beside ``norm:
    batch`` it adds a second batch norm after the same layers."""
    specs = config.search.specs()
    if True not in (spec_values(specs["batch_norm_between"]) or []):
        return []
    notes = []
    if max(int(v) for v in spec_values(specs["layers"]) or [1]) < 2:
        notes.append("search.batch_norm_between: has no effect with one recurrent layer "
                     "(search.layers)")
    if "batch" in (spec_values(specs["norm"]) or []):
        notes.append("search.batch_norm_between: with norm: batch every layer but the last "
                     "gets two batch normalisations in a row")
    return notes


def layer_spec_problems(specs: dict[str, Any]) -> list[str]:
    """``{per_layer: [...]}`` gives one spec per layer the sweep can have: as many entries as
    the most layers (a trial with fewer uses the first ones); more or fewer is refused."""
    problems = []
    for name, domain in SEARCH_PARAMS.items():
        spec = specs[name]
        if not isinstance(spec, LayerSpecs) or domain.per_layer is None:
            continue
        parent = layer_parent(domain)
        most = max(int(v) for v in spec_values(specs[parent]) or [0])
        given = len(layer_parts(spec))
        if given != most:
            problems.append(
                f"search.{name}.per_layer: {given} spec{'s' if given != 1 else ''} for at most "
                f"{most} {parent} (search.{parent}); give one per layer, first layer first, as "
                f"many as the most {parent} a trial can have")
    return problems
