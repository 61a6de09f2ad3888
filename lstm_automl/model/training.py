"""How one trial trains: shared input pipelines, and rolling-origin backtest folds.

``SweepHyperModel.fit`` delegates here. With ``data.backtest`` a trial first trains one fresh
model per earlier fold (training windows before the fold's origin, scaled on them only), keeps
each fold's validation metrics at its best epoch, and then trains the trial's own model on the
ordinary split (the last fold). While that model trains, ``BacktestLogs`` adds to every epoch's
logs the average over all folds (``backtest_val_rmse``, ...) and each fold's value
(``backtest_fold1_val_rmse``, ...), so keras-tuner's objective, early stopping, the best-epoch
checkpoint and the MLflow epoch logger all see them like any other metric.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import keras
import keras_tuner as kt
import numpy as np

from lstm_automl.config.names import BACKTEST_PREFIX
from lstm_automl.data.backtest import BacktestFold
from lstm_automl.data.pipeline import Pipelines, epoch_seed_callback
from lstm_automl.model.padded_batches import PaddedLogs, pads_exactly

FitFunction = Callable[..., Any]  # model.fit with the XLA fallback: fit(model, x, **kwargs)


def objective_of(callbacks: Sequence[Any]) -> tuple[str, str]:
    """The tuner's objective name and direction, from keras-tuner's best-epoch checkpoint
    callback (the hypermodel is not told otherwise); ``val_loss``/min when there is none."""
    for callback in callbacks:
        objective = getattr(callback, "objective", None)
        name = getattr(objective, "name", None)
        if isinstance(name, str):
            return name, str(getattr(objective, "direction", "min") or "min")
    return "val_loss", "min"


def fold_metric(objective: str) -> str:
    """What picks an earlier fold's best epoch: the objective without the backtest prefix, on
    the fold's validation part (``backtest_val_rmse`` -> ``val_rmse``, ``loss`` -> ``val_loss``)."""
    base = objective.removeprefix(BACKTEST_PREFIX)
    return base if base.startswith("val_") else f"val_{base}"


class BacktestLogs(keras.callbacks.Callback):
    """Adds fold-averaged and per-fold validation metrics to each epoch's logs.

    It must come first in the callback list: Keras passes one logs dict to every callback in
    order, so early stopping, keras-tuner's checkpoint and the epoch logger after it see them.
    """

    def __init__(self, earlier: list[dict[str, float]]) -> None:
        super().__init__()
        self.earlier = earlier  # best-epoch validation metrics of each earlier fold

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            return
        last = len(self.earlier) + 1
        for name in list(logs):
            if not name.startswith("val_"):
                continue
            values = [fold[name] for fold in self.earlier if name in fold]
            if len(values) != len(self.earlier):
                continue
            current = float(logs[name])
            for number, value in enumerate(values, start=1):
                logs[f"{BACKTEST_PREFIX}fold{number}_{name}"] = value
            logs[f"{BACKTEST_PREFIX}fold{last}_{name}"] = current
            logs[f"{BACKTEST_PREFIX}{name}"] = float(np.mean([*values, current]))


def _fold_callbacks(callbacks: Sequence[Any], monitor: str) -> list[Any]:
    """Early stopping and reduce-on-plateau as the trial has them, on the fold's own validation
    metric."""
    fold = [keras.callbacks.TerminateOnNaN()]
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.ReduceLROnPlateau):
            fold.append(keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, mode=callback.mode, factor=callback.factor,
                patience=callback.patience, min_delta=callback.min_delta))
        if isinstance(callback, keras.callbacks.EarlyStopping):
            fold.append(keras.callbacks.EarlyStopping(
                monitor=monitor, mode=callback.mode, patience=callback.patience,
                min_delta=abs(callback.min_delta),
                restore_best_weights=callback.restore_best_weights))
    return fold


def check_finite_loss(history: Any, where: str = "") -> None:
    """Fail the trial whose training loss became NaN or infinite (``where``: e.g. which fold):
    Keras ends such a fit normally, and its metrics would be ranked as if they meant something."""
    losses = getattr(history, "history", {}).get("loss", [])
    bad = [i + 1 for i, v in enumerate(losses) if not math.isfinite(float(v))]
    if bad:
        raise kt.errors.FailedTrialError(
            f"loss became NaN or infinite at epoch {bad[0]}{where} (try a lower learning rate "
            f"or gradient clipping)")


def best_epoch_metrics(history: Any, monitor: str, direction: str) -> dict[str, float]:
    """The validation metrics of the epoch where ``monitor`` was best."""
    logs = getattr(history, "history", {})
    series = [float(v) for v in logs.get(monitor, [])]
    finite = [(v, i) for i, v in enumerate(series) if math.isfinite(v)]
    if not finite:
        raise kt.errors.FailedTrialError(f"no finite {monitor} in a backtest fold")
    best = (min if direction == "min" else max)(finite)[1]
    return {name: float(values[best]) for name, values in logs.items()
            if name.startswith("val_") and len(values) > best}


class TrialTrainer:
    """Trains trials through input pipelines built once per sweep (``Pipelines``)."""

    def __init__(self) -> None:
        self.pipelines = Pipelines()

    def fit(self, fit: FitFunction, model: Any, x: np.ndarray, y: np.ndarray,
            validation: Any, batch_size: int, shuffle: bool, callbacks: list[Any],
            kwargs: dict[str, Any], pad: bool = True) -> Any:
        """``model.fit`` on the shared pipelines; the shuffle seed comes from the trial's seeded
        NumPy state, so the same trial number always sees the same batches. On JAX the last
        batch is padded where that keeps the metrics exact (``padded_batches.py``; ``pad``
        False: never, as for a Python model whose layers we do not know)."""
        trial_seed = int(np.random.randint(0, 2**31 - 1))
        pad = pad and "class_weight" not in kwargs and pads_exactly(model)
        train = self.pipelines.dataset(x, y, batch_size, shuffle, pad)
        if isinstance(validation, tuple) and len(validation) == 2:
            validation = self.pipelines.dataset(validation[0], validation[1], batch_size, False,
                                                pad)
        first = [PaddedLogs(train, validation)] if pad else []  # before all that read the logs
        fit_kwargs = dict(kwargs, callbacks=[*first, epoch_seed_callback(self.pipelines,
                                                                         trial_seed), *callbacks])
        fit_kwargs["shuffle"] = False  # the pipeline shuffles (Keras warns otherwise)
        if validation is not None:
            fit_kwargs["validation_data"] = validation
        return fit(model, train, **fit_kwargs)

    def earlier_folds(self, fit: FitFunction, build: Callable[[BacktestFold], Any],
                      folds: Sequence[BacktestFold], batch_size: int, shuffle: bool,
                      callbacks: list[Any], kwargs: dict[str, Any],
                      pad: bool = True) -> list[dict[str, float]]:
        """Train one fresh model per fold but the last (``build(fold)``: fitted on what that
        fold may see); each fold's best validation metrics."""
        objective, direction = objective_of(callbacks)
        monitor = fold_metric(objective)
        fold_kwargs = {k: v for k, v in kwargs.items() if k != "initial_epoch"}
        scores = []
        for fold in folds:
            model = build(fold)
            history = self.fit(fit, model, fold.train.x, fold.train.y,
                               (fold.validation.x, fold.validation.y), batch_size, shuffle,
                               _fold_callbacks(callbacks, monitor), fold_kwargs, pad)
            check_finite_loss(history, f" in backtest fold {fold.number}")
            scores.append(best_epoch_metrics(history, monitor, direction))
            del model
        return scores
