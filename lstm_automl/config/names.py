"""Names the sweep file may use, kept free of TensorFlow so that validation stays fast.

The TensorFlow side (``model.cells``, ``model.hypermodel``) keys its registries by
exactly these names; a test checks that the two never drift apart. ``closest`` says which of
them a misspelt name meant, for the "did you mean" of the messages.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

CELL_FAMILIES: dict[str, str] = {
    "lstm": "Keras LSTM (fused cuDNN kernel on GPU when its conditions hold)",
    "gru": "Keras GRU (fused cuDNN kernel on GPU when its conditions hold)",
    "peephole": "peephole LSTM (Gers, Schraudolph & Schmidhuber 2002), PeepholeLSTMCell",
    "simple_rnn": "plain Elman RNN, the baseline every gated cell should beat",
}

OPTIMIZERS: dict[str, str] = {
    "adam": "Adam",
    "adamw": "AdamW (decoupled weight decay 1e-4)",
    "nadam": "Nadam",
    "rmsprop": "RMSprop",
    "sgd": "SGD with momentum (search.momentum, 0.9 unless set)",
    "adagrad": "Adagrad",
}

LOSSES: dict[str, str] = {
    "mse": "mean squared error",
    "mae": "mean absolute error",
    "huber": "Huber loss (delta 1.0, on scaled targets)",
    "mape": "mean absolute percentage error (on scaled targets: needs a scaling that keeps them "
    "away from 0, such as data.scaling none)",
}

NORMALIZATIONS: dict[str, str] = {
    "none": "no normalisation layer",
    "batch": "BatchNormalization after each recurrent layer",
    "layer": "LayerNormalization after each recurrent layer",
}

INITIALIZERS: dict[str, str] = {
    "default": "Keras' default of each layer (glorot_uniform kernels, orthogonal recurrent)",
    "glorot_uniform": "Glorot (Xavier) uniform",
    "he_normal": "He normal (for relu-like activations)",
    "orthogonal": "orthogonal",
    "lecun_normal": "LeCun normal (for selu)",
    "he_uniform": "He uniform (for relu-like activations)",
    "glorot_normal": "Glorot (Xavier) normal",
    "lecun_uniform": "LeCun uniform",
}

# The activation of a regress or forecast head's output layer, and the range it can output.
OUTPUT_BIASES: dict[str, str] = {
    "zeros": "the output layer's bias starts at 0 (Keras' default)",
    "prior": "the bias starts where a model that ignores its input is best: the training "
    "target's mean (numbers, a linear output, no window level or residual added), the log "
    "class frequencies (softmax) or log-odds (sigmoid)",
}
OUTPUT_ACTIVATIONS: dict[str, str] = {
    "linear": "any value (no activation)",
    "sigmoid": "between 0 and 1",
    "tanh": "between -1 and 1",
    "relu": "0 or above",
}

# Names ``keras.activations.get`` accepts (a test checks); new ones go last.
ACTIVATIONS: dict[str, str] = {
    name: name for name in ("relu", "tanh", "gelu", "elu", "selu", "swish", "linear",
                            "leaky_relu", "silu", "softplus", "mish")
}
# The hidden dense layers may also learn their negative slope (a PReLU layer after a linear
# Dense; a layer, not an activation function, so recurrent cells cannot take it).
DENSE_ACTIVATIONS: dict[str, str] = {**ACTIVATIONS, "prelu": "prelu"}
CONV_BLOCKS: dict[str, str] = {
    "plain": "one causal Conv1D with relu",
    "residual": "three causal Conv1D + BatchNormalization (+ relu) with a shortcut added "
    "before the last relu (a 1x1 Conv1D where the channel counts differ)",
}

TUNER_ALGORITHMS: dict[str, str] = {
    "random": "random search (keras-tuner RandomSearch)",
    "grid": "exhaustive grid in order (keras-tuner GridSearch); needs a discrete space",
    "bayesian": "Gaussian-process Bayesian optimisation (keras-tuner BayesianOptimization)",
    "hyperband": "Hyperband early-stopping brackets (keras-tuner Hyperband); epochs is its budget",
}

# Metrics each task's models report, so the objective can be checked before anything trains.
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "forecast": ("loss", "mae", "rmse"),
    "regress": ("loss", "mae", "rmse"),
    "classify": ("loss", "accuracy"),
    "label": ("loss", "accuracy"),  # over the real (unpadded) steps
    "detect": ("loss", "mae", "rmse"),  # the one-step forecaster behind the anomaly scores
}
# Metrics a task's models report only when the objective or the early-stopping monitor names
# them (each costs time every batch): Keras metrics by the name the logs give them.
# ``model/metrics.py`` builds them; a test checks the two agree.
EXTRA_METRICS: dict[str, dict[str, str]] = {
    "classify": {
        "auc": "area under the ROC curve (several classes: the mean of one-vs-rest curves)",
        "pr_auc": "area under the precision-recall curve (several classes: mean one-vs-rest)",
        "macro_f1": "F1 score of each class, averaged with equal weight (binary: both classes)",
    },
    "forecast": {
        "mse": "mean squared error (on the scaled target, like mae and rmse)",
        "r2": "coefficient of determination, 1 is a perfect fit",
        "logcosh": "log of the hyperbolic cosine of the error",
    },
}
EXTRA_METRICS["regress"] = EXTRA_METRICS["forecast"]
EXTRA_METRICS["label"] = {
    "macro_f1": "F1 score of each class over the real (unpadded) steps, averaged with equal "
    "weight",
}
EXTRA_METRICS["detect"] = EXTRA_METRICS["forecast"]
# The metrics that grow with quality; every other one (loss, errors) shrinks.
MAXIMISED_METRICS: frozenset[str] = frozenset(
    {"accuracy", "auc", "pr_auc", "f1", "macro_f1", "r2"})


# Rolling-origin backtesting (forecast only) reports validation metrics averaged over its folds
# as ``backtest_val_<metric>`` and each fold's as ``backtest_fold<k>_val_<metric>``.
BACKTEST_PREFIX = "backtest_"
BACKTEST_TASKS = ("forecast",)

Direction = Literal["min", "max"]


def base_metric(name: str) -> str:
    """The metric an objective or logged name measures: ``backtest_val_rmse`` -> ``rmse``."""
    return name.removeprefix(BACKTEST_PREFIX).removeprefix("val_")


def higher_is_better(metric: str | None) -> bool:
    """Whether ``metric`` (with or without the ``val_``/``backtest_val_`` prefix) grows with
    quality: the one rule the tuner, the checks, the console and the report share."""
    return metric is not None and base_metric(metric) in MAXIMISED_METRICS


def direction(objective: str, explicit: str | None = None) -> Direction:
    """Which way the tuner drives ``objective``: ``explicit`` (``tuner.direction``) when given,
    else what the metric's nature says."""
    if explicit:
        return "max" if explicit == "max" else "min"
    return "max" if higher_is_better(objective) else "min"


def objective_names(task: str, backtest: bool = False) -> list[str]:
    """Every objective name a model of this task reports, training and validation.

    ``backtest``: the sweep sets ``data.backtest``, so the fold-averaged metrics exist too.
    """
    metrics = (*TASK_METRICS[task], *EXTRA_METRICS[task])
    names = [f"val_{m}" for m in metrics] + list(metrics)
    if backtest and task in BACKTEST_TASKS:
        names = [f"{BACKTEST_PREFIX}val_{m}" for m in metrics] + names
    return names


def extra_metrics(task: str, *names: str | None) -> tuple[str, ...]:
    """The extra metrics (``EXTRA_METRICS``) a model of ``task`` must report so that ``names``
    (the objective, the early-stopping monitor) exist in its logs: ``val_auc`` -> ``auc``."""
    wanted = [base_metric(n) for n in names if n]
    return tuple(dict.fromkeys(m for m in wanted if m in EXTRA_METRICS[task]))


def is_own_metric(task: str, name: str) -> bool:
    """Whether ``name`` measures none of the metrics lstm-sweep compiles for ``task``: a metric
    only a ``model.python`` function can report (``val_pearson``)."""
    return base_metric(name) not in (*TASK_METRICS[task], *EXTRA_METRICS[task])


def own_metric_problem(key: str, name: str, direction: str | None) -> str | None:
    """Why ``name`` cannot be the objective (``key``) as a ``model.python`` function's own
    metric, or None when it can: a validation metric (``val_`` + the name the model is compiled
    with; backtests average lstm-sweep's metrics only) whose direction the sweep file gives."""
    if name.startswith(BACKTEST_PREFIX) or not name.startswith("val_") or name == "val_":
        return (f"{key}: '{name}': your own metric from model.python is an objective as "
                f"'val_' + the name the model is compiled with (e.g. val_pearson)")
    if direction is None:
        return (f"{key}: '{name}' is your model's own metric: set tuner.direction (min or max); "
                f"lstm-sweep cannot tell which way it improves")
    return None


def objective_problem(task: str, objective: str, backtest: bool) -> str | None:
    """Why ``objective`` cannot be optimised by this sweep, or None when it can."""
    allowed = objective_names(task, backtest)
    if objective in allowed:
        return None
    if objective.startswith(BACKTEST_PREFIX) and objective in objective_names(task, True):
        return (f"tuner.objective: '{objective}' needs rolling-origin backtesting: add "
                f"data.backtest (e.g. {{folds: 3}}) or use one of: {', '.join(allowed)}")
    if objective.startswith(BACKTEST_PREFIX) and task not in BACKTEST_TASKS:
        return (f"tuner.objective: '{objective}': backtesting exists only for task: forecast; "
                f"allowed: {', '.join(allowed)}")
    meant = _objective_meant(objective, allowed)
    hint = f"; did you mean '{meant}'?" if meant else ";"
    return (f"tuner.objective: '{objective}' is not a metric a {task} model reports{hint} "
            f"allowed: {', '.join(allowed)}")


# Names Keras or scikit-learn give some metrics, and the name this sweep logs them by.
METRIC_ALIASES: dict[str, str] = {
    "acc": "accuracy", "binary_accuracy": "accuracy", "categorical_accuracy": "accuracy",
    "sparse_categorical_accuracy": "accuracy", "f1": "macro_f1", "f1_score": "macro_f1",
    "roc_auc": "auc", "mean_squared_error": "mse", "mean_absolute_error": "mae",
    "root_mean_squared_error": "rmse", "r2_score": "r2", "log_cosh": "logcosh",
}


def _objective_meant(objective: str, allowed: list[str]) -> str | None:
    """The allowed objective a wrong one most likely meant: another name of the same metric
    (``val_acc`` -> ``val_accuracy``), else the closest spelling."""
    base = base_metric(objective)
    prefix = objective[: len(objective) - len(base)]
    alias = f"{prefix}{METRIC_ALIASES.get(base, base)}"
    return alias if alias in allowed else closest(objective, allowed)


# Which allowed name a misspelt one most likely meant, for the "did you mean" of a message.
# Here, beside the names, so that every module wording an error reaches it without an import
# level more.


def edits(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: insertions, deletions, substitutions, swaps of neighbours."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]


def typo_limit(word: str) -> int:
    """Edits still counted a typo: one in a short word, two in a long one, so that
    ``batch_norm`` is not read as ``batch_size``."""
    return 1 if len(word) < 8 else 2


def closest(given: str, names: Collection[str]) -> str | None:
    """The allowed name ``given`` most likely meant, or None when none is near.

    In order: the same name but for case and separators (``LSTM``, ``he-normal``); the one name
    it abbreviates (``val_acc`` -> ``val_accuracy``, ``f1`` -> ``macro_f1``); the nearest name
    within a typo's edits (``lsmt`` -> ``lstm``).
    """
    if not isinstance(given, str) or not given.strip():
        return None
    names = list(names)
    key = _plain(given)
    for name in names:
        if _plain(name) == key:
            return name
    return _abbreviated(given, names) or _near(given, names)


def did_you_mean(given: object, names: Collection[str], prefix: str = "") -> str:
    """``"; did you mean 'x'?"`` for a likely slip of a name, else ``""`` (a message then
    goes on with ``hint or ";"``, as the one for an unknown key does). ``prefix``: what the
    user writes before the name (``builtin:``), matched without it and said with it."""
    if not isinstance(given, str) or given in names:
        return ""
    name = closest(given, names)
    return f"; did you mean '{prefix}{name}'?" if name else ""


def _plain(name: str) -> str:
    return "".join(c for c in name.casefold() if c not in "_- ")


def _abbreviated(given: str, names: Sequence[str]) -> str | None:
    """The one name ``given`` starts (three letters at least), else the name holding every
    ``_`` part of ``given`` with the fewest parts besides; None when that is not one name."""
    key = _plain(given)
    starts = [n for n in names if len(key) >= 3 and _plain(n).startswith(key)]
    if len(starts) == 1:
        return starts[0]
    parts = set(given.casefold().replace("-", "_").split("_")) - {""}
    holders = [(len(set(n.split("_")) - parts), n) for n in names
               if parts and parts < set(n.split("_"))]
    if not holders:
        return None
    fewest = min(extra for extra, _ in holders)
    best = [n for extra, n in holders if extra == fewest]
    return best[0] if len(best) == 1 else None


def _near(given: str, names: Sequence[str]) -> str | None:
    scored = sorted((edits(given.casefold(), n.casefold()), i) for i, n in enumerate(names))
    if scored and scored[0][0] <= typo_limit(given):
        return names[scored[0][1]]
    return None
