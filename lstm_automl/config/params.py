"""The searchable hyperparameters: their domain, default and meaning, in one table.

The schema validates against it, ``validate`` summarises with it, and the search space is built
from it, so a new hyperparameter is added here once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from lstm_automl.config.builtin import DATASETS, builtin_name
from lstm_automl.config.names import (
    ACTIVATIONS,
    CELL_FAMILIES,
    CONV_BLOCKS,
    DENSE_ACTIVATIONS,
    INITIALIZERS,
    LOSSES,
    NORMALIZATIONS,
    OPTIMIZERS,
    OUTPUT_ACTIVATIONS,
    OUTPUT_BIASES,
    did_you_mean,
)
from lstm_automl.config.window_rules import FORECAST, season_fits, window_blocker

Kind = Literal["int", "float", "bool", "name"]


@dataclass(frozen=True)
class Domain:
    """What values one hyperparameter may take."""

    kind: Kind
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    high_inclusive: bool = True
    low_inclusive: bool = True
    names: dict[str, str] | None = None
    nullable: bool = False
    # What null travels through keras-tuner as (``encode_null``): a value outside the domain.
    null_code: float = 0.0
    per_layer: Literal["recurrent", "dense"] | None = None
    # (parent param, rule): "true", ">0", or "=name" (active while the parent has that name)
    active_when: tuple[str, str] | None = None
    # False for keys added after sweeps were already written: left at its default the key
    # declares no keras-tuner value, because keras-tuner's random stream advances once per
    # declared value, and a new fixed value would change every earlier sweep's trials 2, 3, ...
    declared_at_default: bool = True

    def describe_allowed(self) -> str:
        """One phrase naming what is allowed, for error messages."""
        if self.kind == "name":
            assert self.names is not None
            return "one of: " + ", ".join(self.names)
        if self.kind == "bool":
            return "true or false"
        lo = "" if self.low is None else f"{'>=' if self.low_inclusive else '>'} {_num(self.low)}"
        hi = "" if self.high is None else (f"{'<=' if self.high_inclusive else '<'} "
                                           f"{_num(self.high)}")
        bounds = " and ".join(b for b in (lo, hi) if b)
        noun = "an integer" if self.kind == "int" else "a number"
        text = f"{noun} {bounds}" if bounds else noun
        return text + (", or null" if self.nullable else "")


# The search keys that still mean something for a ``model.python`` function: how the model it
# returns is compiled and fed (model/python_model.py).
TRAINING_PARAMS = ("learning_rate", "optimizer", "loss", "batch_size", "clipnorm",
                   "weight_decay")

DATA_PREFIX = "data."  # how searched data settings name their hyperparameters (data/variants.py)


def encode_data(name: str, value: Any) -> Any:
    """A searched data setting as a keras-tuner friendly value: feature lists become ``a+b``."""
    return "+".join(value) if name == "features" else value


def decode_data(name: str, value: Any) -> Any:
    return value.split("+") if name == "features" else value


def _num(bound: float) -> str:
    """A bound as written: integers in full (a seed's 2147483647, not 2.14748e+09)."""
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def short_list(values: Iterable[Any], limit: int = 8, head: int = 5) -> str:
    """``a, b, c``; past ``limit`` values ``1, 2, 3, 4, 5, ..., 121 (121 values)``, so that a long
    choice stays one readable line in summaries and messages."""
    texts = [str(v) for v in values]
    if len(texts) <= limit:
        return ", ".join(texts)
    return f"{', '.join(texts[:head])}, ..., {texts[-1]} ({len(texts)} values)"


# Forecast-only settings that act on the target's history channel (see cells/window.py).
WINDOW_NORMS: dict[str, str] = {
    "none": "the network sees the scaled window as it is",
    "last": "subtract the window's last target value from its target channel; add it back to "
    "the forecast (as DeepAR does)",
    "mean": "subtract the window's mean target value likewise (as N-BEATS-style scaling does)",
    "ets": "subtract the level and season of an additive ETS fitted once on the training rows "
    "(as ES-RNN does) at each step; add its forecast back",
}
RESIDUALS: dict[str, str] = {
    "none": "the network forecasts on its own",
    "naive": "the network learns a correction added to the last target value of the window",
    "seasonal_naive": "the network learns a correction added to the value one season earlier "
    "(needs data.season and a lookback of at least one season)",
    "ar": "the network learns a correction added to the forecast of an AR model fitted once on "
    "the training windows of the scaled target (parameters fixed, kept in the saved model)",
    "ets": "likewise with additive exponential smoothing (Holt-Winters) fitted once on the "
    "training rows, restarted at each window's first step",
    "arima": "likewise with a small ARIMA(p,d,q) fitted once on the training rows (d by an ADF "
    "test, p and q by AIC), restarted at each window's first step",
}

MULTI_STEPS: dict[str, str] = {
    "direct": "one output per horizon step, all at once",
    "recursive": "one one-step network applied horizon times, each forecast fed back into the "
    "window (needs the target as the only input channel)",
}

LR_SCHEDULES: dict[str, str] = {
    "none": "the learning rate stays learning_rate",
    "cosine": "cosine decay from learning_rate to 0 over the trial's epochs, step by step "
    "(Keras CosineDecay)",
    "plateau": "multiplied by plateau_factor after plateau_patience epochs without improvement "
    "of the objective (Keras ReduceLROnPlateau)",
}

SEARCH_PARAMS: dict[str, Domain] = {
    "cell": Domain("name", "lstm", "recurrent cell family", names=CELL_FAMILIES,
                   per_layer="recurrent"),
    "bidirectional": Domain("bool", False, "wrap every recurrent layer in Bidirectional"),
    "layers": Domain("int", 1, "number of stacked recurrent layers", low=1, high=16),
    "units": Domain(
        "int", 32, "units of each recurrent layer", low=1, high=4096, per_layer="recurrent"
    ),
    "dropout": Domain(
        "float", 0.0, "input dropout of each recurrent layer", low=0.0, high=1.0,
        high_inclusive=False, per_layer="recurrent",
    ),
    "recurrent_dropout": Domain(
        "float", 0.0, "recurrent-state dropout (above 0 disables cuDNN on GPU)", low=0.0,
        high=1.0, high_inclusive=False, per_layer="recurrent",
    ),
    "conv_front": Domain("bool", False, "Conv1D feature extractor before the recurrent stack"),
    "conv_filters": Domain(
        "int", 32, "filters of the Conv1D front end", low=1, high=4096,
        active_when=("conv_front", "true"),
    ),
    "conv_kernel_size": Domain(
        "int", 3, "kernel size of the Conv1D front end", low=1, high=64,
        active_when=("conv_front", "true"),
    ),
    "conv_block": Domain(
        "name", "plain", "shape of the Conv1D front end", names=CONV_BLOCKS,
        active_when=("conv_front", "true"), declared_at_default=False,
    ),
    "conv_dropout": Domain(
        "float", 0.0, "dropout between the Conv1D front end and the recurrent stack", low=0.0,
        high=1.0, high_inclusive=False, active_when=("conv_front", "true"),
        declared_at_default=False,
    ),
    "dense_layers": Domain("int", 0, "hidden dense layers in the head", low=0, high=16),
    "dense_units": Domain(
        "int", 32, "units of each hidden dense layer", low=1, high=4096, per_layer="dense",
        active_when=("dense_layers", ">0"),
    ),
    "dense_activation": Domain(
        "name", "relu", "activation of the hidden dense layers (prelu: a learned negative "
        "slope)", names=DENSE_ACTIVATIONS,
        active_when=("dense_layers", ">0"),
    ),
    "learning_rate": Domain(
        "float", 1e-3, "optimizer learning rate", low=0.0, high=1.0, low_inclusive=False
    ),
    "optimizer": Domain("name", "adam", "optimizer", names=OPTIMIZERS),
    "loss": Domain("name", "mse", "training loss", names=LOSSES),
    "batch_size": Domain("int", 32, "training batch size", low=1, high=65536),
    "clipnorm": Domain(
        "float", None, "gradient clipping by global norm (null: none)", low=0.0,
        low_inclusive=False, nullable=True,
    ),
    # Last: the parameters that existed before keep their place in the tuner's space.
    "window_norm": Domain(
        "name", "none", "per-window level of the target channel, subtracted from the inputs and "
        "added back to the forecast (forecast only)", names=WINDOW_NORMS,
    ),
    "residual": Domain(
        "name", "none", "learn a correction to the naive, seasonal-naive or a fitted AR, ETS or "
        "ARIMA forecast of the window (forecast only)", names=RESIDUALS,
    ),
    "multi_step": Domain(
        "name", "direct", "how a horizon above 1 is forecast: direct multi-output or recursive "
        "one-step (forecast only)", names=MULTI_STEPS,
    ),
    "layer_dropout": Domain(
        "float", 0.0, "Dropout after each recurrent layer (on its outputs)", low=0.0, high=1.0,
        high_inclusive=False, per_layer="recurrent",
    ),
    "stack_dropout": Domain(
        "float", 0.0, "one Dropout after the whole recurrent stack", low=0.0, high=1.0,
        high_inclusive=False,
    ),
    "dense_dropout": Domain(
        "float", 0.0, "Dropout after each hidden dense layer", low=0.0, high=1.0,
        high_inclusive=False, per_layer="dense", active_when=("dense_layers", ">0"),
    ),
    "norm": Domain(
        "name", "none", "normalisation after each recurrent layer (after its layer_dropout)",
        names=NORMALIZATIONS,
    ),
    "kernel_initializer": Domain(
        "name", "default", "initializer of the input kernels of the recurrent and hidden dense "
        "layers (default: each layer's own)", names=INITIALIZERS,
    ),
    "momentum": Domain(
        "float", 0.9, "momentum of the sgd optimizer", low=0.0, high=1.0, high_inclusive=False,
        active_when=("optimizer", "=sgd"),
    ),
    "l2": Domain(
        "float", 0.0, "L2 regularisation factor of the recurrent and hidden dense kernels",
        low=0.0,
    ),
    "recurrent_l2": Domain(
        "float", 0.0, "L2 regularisation factor of the recurrent layers' recurrent "
        "(state-to-state) kernels", low=0.0,
        declared_at_default=False,
    ),
    "weight_decay": Domain(
        "float", None, "decoupled weight decay of the optimizer on every weight (Keras' "
        "weight_decay; 0: none; null: the optimizer's own, 1e-4 for adamw, else none)",
        low=0.0, nullable=True, null_code=-1.0,
        declared_at_default=False,
    ),
    "lr_schedule": Domain(
        "name", "none", "how the learning rate changes during a trial", names=LR_SCHEDULES,
        declared_at_default=False,
    ),
    "plateau_factor": Domain(
        "float", 0.5, "lr_schedule plateau: the factor the learning rate is multiplied by",
        low=0.0, high=1.0, low_inclusive=False, high_inclusive=False,
        active_when=("lr_schedule", "=plateau"),
    ),
    "plateau_patience": Domain(
        "int", 2, "lr_schedule plateau: epochs without improvement before the learning rate "
        "drops", low=1, high=10_000, active_when=("lr_schedule", "=plateau"),
    ),
    "activation": Domain(
        "name", "tanh", "activation of the recurrent layers' candidate state and output "
        "(Keras' activation; not tanh: off cuDNN on GPU)", names=ACTIVATIONS,
        declared_at_default=False,
    ),
    "fcn_branch": Domain(
        "bool", False, "a fully convolutional branch beside the recurrent stack (LSTM-FCN): "
        "three Conv1D + BatchNorm + ReLU blocks (kernels 8, 5, 3) and global average pooling, "
        "concatenated with the stack's last output before the head",
        declared_at_default=False,
    ),
    "fcn_filters": Domain(
        "int", 128, "fcn_branch: filters of its first and last blocks; the middle block has "
        "twice as many (128: the paper's 128, 256, 128)", low=1, high=2048,
        active_when=("fcn_branch", "true"), declared_at_default=False,
    ),
    "dimension_shuffle": Domain(
        "bool", False, "fcn_branch: the recurrent stack reads the input transposed, one step "
        "per input channel with the whole window as its features (LSTM-FCN's dimension "
        "shuffle; padding of unequal lengths is then not masked there)",
        active_when=("fcn_branch", "true"), declared_at_default=False,
    ),
    "batch_norm_between": Domain(
        "bool", False, "BatchNormalization between stacked recurrent layers (on the outputs of "
        "every recurrent layer but the last, after its layer_dropout and norm)",
        declared_at_default=False,
    ),
    "output_activation": Domain(
        "name", "linear", "activation of the output layer of regress and forecast heads (the "
        "scaled target must lie in its range)", names=OUTPUT_ACTIVATIONS,
        declared_at_default=False,
    ),
    "output_bias": Domain(
        "name", "zeros", "the output layer's starting bias (prior: where an input-blind "
        "model is best; on imbalanced classes the first epochs then learn the input, not the "
        "class balance)", names=OUTPUT_BIASES, declared_at_default=False,
    ),
    "embedding_dim": Domain(
        "int", 32, "with data.text: width of the Embedding layer each token id becomes before "
        "the recurrent stack", low=1, high=4096, declared_at_default=False,
    ),
    "vocab_size": Domain(
        "int", 20_000, "with data.text: the most frequent training tokens that keep their own "
        "id; rarer ones share the out-of-vocabulary id", low=1, high=1_000_000,
        declared_at_default=False,
    ),
}

# The params that only mean something for a text input (``data.text``).
TEXT_PARAMS = ("embedding_dim", "vocab_size")

# ``units: {first: ..., ratio: ...}``: the ratio of each layer's width to the one before.
LAYER_RATIO = Domain(
    "float", 0.5, "width of each layer over the one before (0.5 halves, 1 keeps, 2 doubles)",
    low=0.0, low_inclusive=False, high=8.0,
)
RATIO_SUFFIX = "_ratio"  # its hyperparameter and run param: ``units_ratio``


def derived_widths(first: int, ratio: float, count: int) -> list[int]:
    """The widths of ``count`` layers from the first one's: ``first x ratio^i``, rounded, at
    least 1 (64, 0.5, 3 -> 64, 32, 16)."""
    return [max(1, int(round(first * ratio ** index))) for index in range(count)]


# The widths that may follow another width (``{same_as: units}``, config/ties.py), and be followed.
WIDTH_PARAMS = ("units", "dense_units", "conv_filters")


def ratio_params() -> list[str]:
    """The params whose widths may follow a ratio: per-layer integers (units, dense_units)."""
    return [n for n, d in SEARCH_PARAMS.items() if d.per_layer and d.kind == "int"]


# Training settings that may be searched in place (``training.epochs: {choice: [10, 30]}``):
# declared as hyperparameters of the same names, so they are run params like any other.
# NumPy and every Keras backend take seeds in [0, 2**32); lstm-sweep adds trial numbers, layer
# and ensemble-member offsets (a few million at most) to the seeds a sweep gives, so a sweep file
# may use half of that range.
SEED_MAX = 2**31 - 1

TRAINING_SEARCH: dict[str, Domain] = {
    "epochs": Domain("int", 20, "maximum epochs per trial", low=1, high=100_000),
    "shuffle": Domain("bool", True, "shuffle training windows each epoch (seeded)"),
    "seed": Domain("int", None, "seed of the trial's initial weights, dropout and shuffling",
                   low=0, high=SEED_MAX, nullable=True),
}

STRUCTURAL_PARAMS = ("layers", "dense_layers", "conv_front")
PER_LAYER_PARENTS = {"recurrent": "layers", "dense": "dense_layers"}


def rule_holds(rule: str, value: Any) -> bool:
    """Whether a parent's ``value`` switches on a param with ``active_when`` ``rule``."""
    if rule == "true":
        return bool(value)
    if rule == ">0":
        return value is not None and int(value) > 0
    assert rule.startswith("="), rule
    return bool(value == rule[1:])


def condition_parents() -> tuple[str, ...]:
    """Every parent an ``active_when`` names, structural ones first (a searched size counts
    their values together)."""
    parents = [d.active_when[0] for d in SEARCH_PARAMS.values() if d.active_when]
    return tuple(dict.fromkeys([*STRUCTURAL_PARAMS, *parents]))

# A per-layer value is its own hyperparameter (and run param): ``units_0``, ``dense_units_1``.
_LAYER_KEY = re.compile(r"(.+)_(\d+)")


def layer_key(name: str, index: int) -> str:
    """The key of layer ``index``'s value of ``name`` (0-based): ``units``, 1 -> ``units_1``."""
    return f"{name}_{index}"


def split_layer_key(key: str) -> tuple[str, int] | None:
    """``units_1`` -> (``units``, 1); None for a key that is not one layer's value."""
    match = _LAYER_KEY.fullmatch(key)
    return (match.group(1), int(match.group(2))) if match else None


def layer_values(values: dict[str, Any], name: str) -> list[Any]:
    """Every layer's value of ``name`` in a trial's ``values``, in layer order: one shared value
    (``cell``), a list (what ``declare_space`` returns), or one key per layer (``cell_0``,
    ``cell_1``: a trial's params); empty when there is none."""
    value = values.get(name)
    if isinstance(value, (list, tuple)):
        return list(value)
    if value is not None:
        return [value]
    layers = sorted((s[1], v) for k, v in values.items()
                    if (s := split_layer_key(k)) and s[0] == name)
    return [v for _, v in layers]


def layer_parent(domain: Domain) -> str:
    """The structural param that counts the layers a per-layer value exists for."""
    assert domain.per_layer is not None, "only per-layer domains have a parent"
    return PER_LAYER_PARENTS[domain.per_layer]


# keras-tuner values cannot be None, so a nullable domain's null (``{choice: [null, 1.0]}``)
# travels through the tuner as its ``null_code``: 0 unless the domain takes 0 (weight_decay).
NULL_CODE = 0.0


def encode_null(domain: Domain, value: Any) -> Any:
    """A value as keras-tuner gets it: null of a nullable domain becomes ``NULL_CODE``."""
    return domain.null_code if domain.nullable and value is None else value


def decode_null(domain: Domain, value: Any) -> Any:
    """A keras-tuner value as the user wrote it: ``NULL_CODE`` of a nullable domain is null."""
    return None if domain.nullable and value == domain.null_code else value


def decode_nulls(values: dict[str, Any]) -> dict[str, Any]:
    """A trial's keras-tuner values (per-layer keys too) with every null code back to None."""
    decoded = {}
    for key, value in values.items():
        split = split_layer_key(key)
        domain = SEARCH_PARAMS.get(key) or (SEARCH_PARAMS.get(split[0]) if split else None)
        decoded[key] = value if domain is None else decode_null(domain, value)
    return decoded


def check_value(domain: Domain, value: Any) -> str | None:
    """Return why ``value`` is outside ``domain``, or None when it fits."""
    if value is None:
        if domain.nullable:
            return None
        return f"null is not allowed; expected {domain.describe_allowed()}"
    if domain.kind == "bool":
        if isinstance(value, bool):
            return None
        return f"{value!r} is not allowed; expected true or false"
    if domain.kind == "name":
        assert domain.names is not None
        if isinstance(value, str) and value in domain.names:
            return None
        hint = did_you_mean(value, domain.names)
        return f"{value!r} is not allowed{hint or ';'} expected {domain.describe_allowed()}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not allowed; expected {domain.describe_allowed()}"
    if not math.isfinite(value):
        return f"{value!r} is not allowed; expected {domain.describe_allowed()}"
    if domain.kind == "int" and not isinstance(value, int):
        return f"{value!r} is not an integer; expected {domain.describe_allowed()}"
    if domain.low is not None and (
        value < domain.low or (value == domain.low and not domain.low_inclusive)
    ):
        return f"{value!r} is out of range; expected {domain.describe_allowed()}"
    if domain.high is not None and (
        value > domain.high or (value == domain.high and not domain.high_inclusive)
    ):
        return f"{value!r} is out of range; expected {domain.describe_allowed()}"
    return None


WINDOW_PARAMS = ("window_norm", "residual")


def _used(specs: dict[str, Any], name: str) -> list[str]:
    spec = specs.get(name, "none")
    values = list(spec.choice) if hasattr(spec, "choice") else [spec]
    return [v for v in values if v != "none"]


def _multi_step_checks(specs: dict[str, Any], data: Any) -> tuple[list[str], list[str]]:
    """``multi_step: recursive`` feeds each forecast back as the next input: forecast only,
    and only with the target as the one input channel (no future values of other features)."""
    spec = specs.get("multi_step", "direct")
    values = list(spec.choice) if hasattr(spec, "choice") else [spec]
    if "recursive" not in values:
        return [], []
    if data.task != FORECAST:
        return [f"search.multi_step: recursive is only for task: forecast (got task: "
                f"{data.task})"], []
    features = data.features
    subsets = ([None] if features is None else
               list(features.choice) if hasattr(features, "choice") else [list(features)])
    if all(s is not None and len(s) > 1 for s in subsets):
        return [f"search.multi_step: recursive needs the target as the only input channel "
                f"(data.features has {short_list(subsets[0] or [])}): the future "
                f"values of other features are unknown"], []
    extra = {key: _used({key: getattr(data, key, "none")}, key)
             for key in ("calendar", "seasonal_lag")}
    always = [key for key, used in extra.items() if used and getattr(data, key) == used[0]]
    if always:
        return [f"search.multi_step: recursive needs the target as the only input channel; "
                f"data.{always[0]} adds others"], []
    notes = [f"search.multi_step: recursive has no effect in trials with data.{key} "
             f"{short_list(used)}" for key, used in extra.items() if used]
    horizon = data.horizon
    if horizon == 1:
        notes.append("search.multi_step: recursive has no effect with data.horizon 1")
    if any(s is not None and len(s) > 1 for s in subsets):
        notes.append("search.multi_step: recursive has no effect in trials with several "
                     "data.features")
    return [], notes


def _several_targets_problems(specs: dict[str, Any]) -> list[str]:
    """``window_norm``, ``residual`` and ``multi_step: recursive`` work on one target's history
    channel, so a forecast of several target columns cannot use them."""
    spec = specs.get("multi_step", "direct")
    steps = list(spec.choice) if hasattr(spec, "choice") else [spec]
    used = {name: _used(specs, name) for name in WINDOW_PARAMS}
    used["multi_step"] = [v for v in steps if v == "recursive"]
    return [f"search.{name}: {short_list(values)} works on one target's history; not with "
            f"several data.target columns" for name, values in used.items() if values]


def window_checks(specs: dict[str, Any], data: Any) -> tuple[list[str], list[str]]:
    """(problems, notes) of ``window_norm`` and ``residual`` for this sweep's data section.

    Both act on the target's history channel of a forecast window, so they are refused where no
    trial could apply them; where only some trials can (a searched feature subset without the
    target, a searched lookback shorter than the season), those trials build without them
    (``hypermodel.window_settings``, which asks the same ``config/window_rules.py`` predicates)
    and a note says so. Config only: a season inferred from the time column is known once the
    data is read.
    """
    if isinstance(getattr(data, "target", None), list) and len(data.target) > 1:
        return _several_targets_problems(specs), []
    problems, notes = _multi_step_checks(specs, data)
    used = {name: _used(specs, name) for name in WINDOW_PARAMS}
    if not any(used.values()):
        return problems, notes
    blocker = window_blocker(data.task, target_is_input=True)
    if blocker is not None:
        for name, values in used.items():
            if values:
                problems.append(f"search.{name}: {blocker} (got "
                                f"{short_list(values)} with task: {data.task})")
        return problems, notes
    builtin = DATASETS.get(builtin_name(data.source) or "")
    target = data.target or (builtin.target if builtin else None)
    features = data.features
    subsets = ([[target]] if features is None else
               list(features.choice) if hasattr(features, "choice") else [list(features)])
    lacking = [s for s in subsets
               if target is not None and window_blocker(data.task, target_is_input=target in s)]
    for name, values in used.items():
        if values and lacking and len(lacking) == len(subsets):
            problems.append(f"search.{name}: needs the target '{target}' among data.features "
                            f"(it works on the target's history)")
        elif values and lacking:
            notes.append(f"search.{name}: has no effect in trials whose data.features lack the "
                         f"target '{target}'")
    if "seasonal_naive" not in used["residual"]:
        return problems, notes
    season = data.season or (builtin.season if builtin else None)
    lookbacks = data.searched_data().get("lookback", [data.lookback])
    short = [lb for lb in lookbacks if season is not None and not season_fits(season, lb)]
    need = "search.residual: seasonal_naive needs data.season and a lookback of at least one season"
    if season is None and (builtin is not None or data.time_column is None):
        problems.append(f"{need} (no season is set or known for this data)")
    elif season is None:
        notes.append(f"{need}: the season is inferred from data.time_column when the data is "
                     f"read; if none is, seasonal_naive has no effect")
    elif len(short) == len(lookbacks):
        problems.append(f"{need} (season {season}, lookback {short_list(lookbacks)})")
    elif short:
        notes.append(f"search.residual: seasonal_naive has no effect in trials whose lookback "
                     f"({short_list(short)}) is shorter than the season ({season})")
    return problems, notes
