"""Anomaly detection data (``task: detect``): a forecasting dataset plus 0/1 anomaly labels.

The network is the one-step forecaster of ``ForecastData`` and trains exactly as one. A step's
anomaly score is the absolute error of its forecast in original units; a threshold chosen on
the validation scores (``anomaly_metrics.choose_threshold``) turns scores into flags. The labels
never reach the model: they choose the threshold, score the test split and, with
``training_anomalies: drop``, take labelled steps out of the training and validation loss.
The classical detectors (``baselines/detectors.py``) are scored on the same test steps, each
with a threshold chosen by the same rule on its own validation scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar

import numpy as np

from lstm_automl.baselines.detectors import (
    DETECTORS,
    isolation_forest,
    rolling_zscore,
    seasonal_residual,
)
from lstm_automl.config.builtin import DATASETS, builtin_name
from lstm_automl.config.schema import DetectDataConfig
from lstm_automl.data.anomaly_metrics import (
    Threshold,
    choose_threshold,
    detection_metrics,
    runs,
)
from lstm_automl.data.base import Baselines, Windows
from lstm_automl.data.forecast import ForecastData, prepare_forecast, resolve_source, time_order
from lstm_automl.data.metrics import forecast_metrics
from lstm_automl.data.table import read_table
from lstm_automl.errors import DataError

Predict = Callable[[np.ndarray], np.ndarray]


@dataclass
class DetectData(ForecastData):
    """A forecasting dataset whose forecasts are judged as anomaly scores."""

    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    label: str = "anomaly"
    threshold_rule: str = "best_f1"
    threshold_quantile: float = 0.99
    training_anomalies: str = "drop"
    # Every validation window (``splits["validation"]`` may have lost the labelled ones).
    scoring: dict[str, Windows] = field(default_factory=dict, repr=False)
    threshold: Threshold | None = None
    # what the threshold is a value of, for the console and the run's notes
    score_words: ClassVar[str] = "network's absolute one-step error in original units"

    def scored_rows(self, split: str) -> np.ndarray:
        """The rows of ``split`` that get a score (every window of it, also the labelled ones
        ``training_anomalies: drop`` keeps out of the loss)."""
        return (self.splits if split == "test" else self.scoring)[split].index

    def scores(self, predicted: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Absolute one-step forecast errors in original units at ``rows``."""
        forecast = self.inverse_target(np.asarray(predicted), rows)[:, 0]
        return np.abs(forecast - self.series[rows])

    def split_scores(self, split: str, predicted: np.ndarray) -> np.ndarray:
        """The scores of ``scored_rows(split)`` from the network's output on the windows of
        ``split`` (validation: all of them, as ``calibrate`` predicts)."""
        return self.scores(predicted, self.scored_rows(split))

    def calibrate(self, predict: Predict) -> str:
        """Choose the threshold on the validation scores of ``predict`` (the final model);
        returns the rule and the value in words, for the console and the registry."""
        scores = self.split_scores("validation", predict(self.scoring["validation"].x))
        self.threshold = choose_threshold(scores, self.labels[self.scored_rows("validation")],
                                          self.threshold_rule, self.threshold_quantile)
        return self.rule_text()

    def rule_text(self) -> str:
        if self.threshold is None:
            return ""
        return (f"threshold: {self.threshold.rule} ({self.threshold.value:.4g} on the "
                f"{self.score_words}); each baseline detector gets its own by the same rule on "
                f"its validation scores")

    def evaluate(self, predicted: np.ndarray) -> dict[str, float]:
        if self.threshold is None:
            raise RuntimeError("calibrate() the threshold on validation before evaluate()")
        rows = self.scored_rows("test")
        scores = self.split_scores("test", predicted)
        metrics = detection_metrics(self.labels[rows], self.threshold.flags(scores))
        metrics.update(self.network_metrics(predicted, scores))
        metrics["threshold"] = self.threshold.value
        return metrics

    def network_metrics(self, predicted: np.ndarray, scores: np.ndarray) -> dict[str, float]:
        """What the network itself did on the test split: the forecast's errors."""
        forecast = self.inverse_target(predicted, self.scored_rows("test"))
        return {f"forecast_{k}": v for k, v in
                forecast_metrics(self.actual(), forecast).items() if k != "mape"}

    def predicted_values(self, predicted: np.ndarray) -> np.ndarray:
        """The network's value for each test row (its forecast), original units."""
        return self.inverse_target(predicted, self.scored_rows("test"))[:, 0]

    def _compute_baselines(self, budget_s: float) -> Baselines:
        """The classical detectors on the test steps, thresholds by the network's rule."""
        val_rows, test_rows = self.scored_rows("validation"), self.scored_rows("test")
        window = self.lookback
        lag = f"one season ({self.season}) earlier" if self.season else "the step before"
        train_rows = self.scored_rows("train")
        if self.training_anomalies == "drop":
            train_rows = train_rows[self.labels[train_rows] == 0]
        scorers: dict[str, Callable[[np.ndarray], np.ndarray]] = {
            "rolling_zscore": lambda rows: rolling_zscore(self.series, rows, window),
            "seasonal_residual": lambda rows: seasonal_residual(self.series, rows, self.season),
            "isolation_forest": lambda rows: self._forest(train_rows, rows, window),
        }
        metrics: dict[str, dict[str, float]] = {}
        labels: dict[str, str] = {}
        notes: list[str] = []
        for name, score in scorers.items():
            try:
                val_scores, test_scores = score(val_rows), score(test_rows)
            except ValueError as exc:  # too few rows for the window or the season
                notes.append(f"baseline {name} skipped: {exc}")
                continue
            threshold = choose_threshold(val_scores, self.labels[val_rows], self.threshold_rule,
                                         self.threshold_quantile)
            metrics[name] = detection_metrics(self.labels[test_rows],
                                              threshold.flags(test_scores))
            metrics[name]["threshold"] = threshold.value
            labels[name] = DETECTORS[name].format(window=window, lag=lag)
        return Baselines(metrics, labels, notes)

    def _forest(self, fit_rows: np.ndarray, rows: np.ndarray, window: int) -> np.ndarray:
        fit_rows = fit_rows[fit_rows >= window - 1]
        return isolation_forest(self.series, fit_rows, rows, window)

    def prediction_table(self, predicted: np.ndarray, forecast: np.ndarray | None = None,
                         ) -> tuple[list[str], list[list[object]]]:
        """Each test step: its value, the network's (forecast), score, flag and label."""
        rows = self.scored_rows("test")
        forecast = self.predicted_values(predicted)
        scores = self.split_scores("test", predicted)
        flags = self.threshold.flags(scores) if self.threshold is not None else \
            np.zeros(len(rows), np.int64)
        header = ["row", "time", "actual", "predicted", "score", "flag", self.label]
        table = [[int(r), self.time_values[r] if self.time_values else "",
                  float(self.series[r]), float(f), float(s), int(g), int(self.labels[r])]
                 for r, f, s, g in zip(rows, forecast, scores, flags, strict=True)]
        return header, table

    def describe(self) -> str:
        counts = ", ".join(f"{name} {self._events(self.scored_rows(name))}"
                           for name in ("train", "validation", "test"))
        return f"{super().describe()}; labelled anomaly windows {counts}"

    def _events(self, rows: np.ndarray) -> int:
        return len(runs(self.labels[rows])) if len(rows) else 0

    def summary(self) -> dict[str, object]:
        facts = super().summary()
        facts["label"] = self.label
        facts["threshold_rule"] = self.threshold_rule
        facts["training_anomalies"] = self.training_anomalies
        for name in ("train", "validation", "test"):
            rows = self.scored_rows(name)
            facts[f"{name}_anomalous_steps"] = int(self.labels[rows].sum())
            facts[f"{name}_anomaly_windows"] = self._events(rows)
        return facts


def _labels(config: DetectDataConfig, base_dir: Path) -> tuple[str, np.ndarray]:
    """The label column in time order, checked to be 0/1."""
    path, _, default_time = resolve_source(config, base_dir)
    name = builtin_name(config.source)
    label = config.label or (DATASETS[name].label if name else None)
    table = read_table(path)
    if label is None:
        raise DataError(f"{path}: data.label is required for task: detect (the column of 0/1 "
                        f"anomaly flags); columns: {', '.join(table.columns)}")
    order, _ = time_order(table, config.time_column or default_time, config.time_format)
    values = table.numeric(label, "data.label")[order]
    bad = np.flatnonzero(~np.isin(values, (0.0, 1.0)))
    if len(bad):
        raise DataError(f"{path}: column '{label}' (data.label) must hold 0 or 1, but row "
                        f"{table.line(int(order[bad[0]]))} is {values[bad[0]]:g}")
    return label, values.astype(np.int64)


def prepare_detect(config: DetectDataConfig, base_dir: Path) -> DetectData:
    """Load the series as a forecast, read its labels, keep every window for scoring and,
    with ``training_anomalies: drop``, leave labelled target steps out of the loss."""
    label, labels = _labels(config, base_dir)
    if config.features is not None and label in config.features:  # a builtin's label
        raise DataError(f"data.features: '{label}' is the label column (data.label); the "
                        f"labels are never an input")
    base = prepare_forecast(config, base_dir)
    values = {f.name: getattr(base, f.name) for f in fields(ForecastData)}
    values.update(task="detect", primary_metric="f1", higher_is_better=True)
    data = DetectData(**values, labels=labels, label=label, threshold_rule=config.threshold,
                      threshold_quantile=config.threshold_quantile,
                      training_anomalies=config.training_anomalies,
                      scoring=dict(base.splits))
    test_rows = base.splits["test"].index
    if not labels[test_rows].any():
        raise DataError(f"{data.source}: the test split holds no labelled anomaly "
                        f"(column '{label}'), so no detector can be judged; move data.split")
    if config.training_anomalies == "drop":
        for split in ("train", "validation"):
            windows = base.splits[split]
            normal = labels[windows.index] == 0
            data.splits[split] = Windows(windows.x[normal], windows.y[normal],
                                         windows.index[normal])
    return data
