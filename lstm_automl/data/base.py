"""What every task's data offers the sweep: windows per split, metrics, baselines, a summary.

The sweep talks only to this interface, so forecasting, classification and regression share one
search, one tracker and one registry path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SPLITS = ("train", "validation", "test")
PAD_LABEL = -1  # task: label: the label of a step padded after a sequence's end (never counted)
DEFAULT_BASELINE_BUDGET_S = 60.0  # without a trial to compare with (lstm-sweep data)


@dataclass
class Windows:
    """Model-ready arrays of one split: x (n, steps, features), y, and where each came from.

    ``index`` is the row of each window's first target (forecasting) or the case number of each
    sequence (classification, regression).
    """

    x: np.ndarray
    y: np.ndarray
    index: np.ndarray

    @property
    def target_rows(self) -> np.ndarray:
        return self.index


@dataclass
class Baselines:
    """The reference predictors of one dataset, scored on the test split the champion is.

    ``labels`` say what each one is ("SARIMA(0,1,1)(0,1,1)12 on log"); ``notes`` say what was
    skipped or capped and why (a method that failed to fit, a subsampled window search).
    """

    metrics: dict[str, dict[str, float]]
    labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Single-target forecasting: each classical entry's test forecasts and fitted model
    # (``classical.ClassicalForecast``), which ``final_model.blend`` may serve.
    forecasts: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ModelShape:
    """What the data dictates to the model builder."""

    steps: int  # window or (padded) sequence length
    n_features: int
    n_outputs: int  # forecast horizon, 1 for regression, classes (1 for a sigmoid)
    task: str = "forecast"
    masked: bool = False  # sequences were padded after their end: mask the padding
    positions: int = 0  # > 0: one label per position (copy task)
    # Forecasting: the input channel holding the target's own history, on the scale of the
    # outputs (None: the target is not an input), and the season length when one is known.
    # ``window_norm`` and ``residual`` need them.
    target_channel: int | None = None
    season: int | None = None
    # Forecasting several target columns: ``n_outputs`` is horizon x n_targets, target-major.
    n_targets: int = 1
    # Text input (``data.text``): the ids the vocabulary uses, padding and out-of-vocabulary
    # included; the model embeds them (0: numeric channels, no embedding).
    vocabulary: int = 0
    # ``residual: ar | ets | arima`` and ``window_norm: ets``: kind -> the parameters of that
    # model fitted on the training rows (``baselines/window_series.py``), on first use and then kept
    # (seconds on a long series, so only for the trials that ask); None where none fits.
    # ``ar_params``: given AR parameters, (const, phi_1..phi_p), used instead.
    ar_params: tuple[float, ...] | None = None
    fit_classical: Callable[[str], tuple[float, ...] | None] | None = field(
        default=None, compare=False, repr=False)
    # ``output_bias: prior``: the output layer's bias an input-blind model is best with (the
    # training targets' mean per output, model units; log class frequencies or log-odds).
    output_prior: tuple[float, ...] | None = field(default=None, compare=False, repr=False)

    def classical(self, kind: str) -> tuple[float, ...] | None:
        """The parameters behind ``residual: kind`` (None: none could be fitted)."""
        if kind == "ar" and self.ar_params is not None:
            return self.ar_params
        return None if self.fit_classical is None else self.fit_classical(kind)

    @property
    def lookback(self) -> int:
        return self.steps


class SweepData:
    """Base class of the prepared data of one task (see forecast.py and sequences.py)."""

    task: str
    source: str
    splits: dict[str, Windows]
    primary_metric: str
    higher_is_better: bool

    def model_shape(self, refit: bool = False) -> ModelShape:
        """``refit``: the shape of a model trained on train + validation (a classical model
        behind the residual is then fitted on those rows too)."""
        raise NotImplementedError

    def training_targets(self, refit: bool = False) -> np.ndarray:
        """The targets a model is trained on: the training split's (and validation's for a
        refit on train + validation)."""
        parts = [self.splits["train"].y]
        if refit and "validation" in self.splits and len(self.splits["validation"].y):
            parts.append(self.splits["validation"].y)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def evaluate(self, predicted: np.ndarray) -> dict[str, float]:
        """Metrics of model outputs on the test split, in the data's own units."""
        raise NotImplementedError

    def calibrate(self, predict: Callable[[np.ndarray], np.ndarray]) -> str:
        """Set what ``evaluate`` needs from the final model's outputs on the validation split
        (an anomaly detector's threshold, ``detect.py``) before the test split is seen; returns
        what was chosen, in words ('' where a task needs nothing)."""
        return ""

    def baselines(self) -> dict[str, dict[str, float]]:
        """Metrics of every reference predictor, scored on the same test split as the model."""
        return self.baseline_report().metrics

    def baseline_report(self, budget_s: float = DEFAULT_BASELINE_BUDGET_S) -> Baselines:
        """The reference predictors with labels and notes, computed once (classical models and
        DTW take seconds) and kept for every later caller.

        ``budget_s``: what the searches inside them (model orders, the DTW window) may spend; a
        sweep passes what one of its trials took, so baselines never cost more than a trial.
        """
        cached = self.__dict__.get("_baselines")
        if cached is None:
            import time

            started = time.perf_counter()
            cached = self._compute_baselines(budget_s)
            cached.seconds = time.perf_counter() - started
            self.__dict__["_baselines"] = cached
        return cached

    def _compute_baselines(self, budget_s: float) -> Baselines:
        raise NotImplementedError

    def prediction_table(self, predicted: np.ndarray, forecast: np.ndarray | None = None,
                         ) -> tuple[list[str], list[list[Any]]]:
        """Header and rows of the test predictions, for ``test_predictions.csv``; ``forecast``:
        forecasts already in original units (a blend's), forecasting only."""
        raise NotImplementedError

    def summary(self) -> dict[str, object]:
        raise NotImplementedError

    def describe(self) -> str:
        """One line for the console header."""
        sizes = " / ".join(f"{name} {len(w.x)}" for name, w in self.splits.items())
        return f"{self.source}: windows {sizes}"

    def preview(self, count: int = 3) -> list[str]:
        """A few examples as the model will see them, for ``lstm-sweep data``."""
        return []

    def fit_kwargs(self) -> dict[str, Any]:
        """Extra arguments for ``model.fit`` (class weights, for example)."""
        return {}

    def best_baseline(self) -> tuple[str, float] | None:
        """Name and primary-metric value of the strongest baseline (the one to beat)."""
        scored = [(name, m[self.primary_metric]) for name, m in self.baselines().items()
                  if self.primary_metric in m]
        if not scored:
            return None
        pick = max if self.higher_is_better else min
        return pick(scored, key=lambda item: item[1])


def output_prior(task: str, y: np.ndarray, outputs: int) -> tuple[float, ...] | None:
    """The bias ``output_bias: prior`` starts the output layer at, from the training targets
    ``y``: their mean per output for numbers; for classes the log-odds (one sigmoid output) or
    the log class frequencies (softmax; add-one smoothed, so a class absent from the training
    split stays finite). None without targets."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return None
    if task not in ("classify", "label"):
        means = y.reshape(len(y), -1).mean(axis=0)
        return tuple(float(m) for m in means) if len(means) == outputs else None
    if outputs == 1:
        rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        return (float(np.log(rate / (1 - rate))),)
    labels = y.astype(np.int64).ravel()
    labels = labels[labels >= 0]  # step labels: -1 marks padding
    counts = np.bincount(labels, minlength=outputs)[:outputs] + 1.0
    return tuple(float(v) for v in np.log(counts / counts.sum()))
