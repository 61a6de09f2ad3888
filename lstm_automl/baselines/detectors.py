"""The classical anomaly detectors a user tries first, as scores per step (higher: stranger).

Each scores the steps ``rows`` of a series from what a detector has at that step (its past,
and the step itself); thresholds and metrics are applied by the caller with the same rule as
the network's scores, so they compare on equal terms.

* rolling z-score: distance of a step from the mean of the ``window`` steps before it, in their
  standard deviations;
* seasonal-naive residual: the absolute change from the value one season earlier (one step
  earlier without a season);
* isolation forest (scikit-learn) on windows: each step's last ``window`` values, centred on
  their mean, fitted on the training windows only.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

TINY = 1e-12


def rolling_zscore(series: np.ndarray, rows: np.ndarray, window: int) -> np.ndarray:
    """|x[r] - mean(x[r-window:r])| / std(x[r-window:r]) for each row r (r >= window)."""
    values = np.asarray(series, dtype=np.float64)
    rows = np.asarray(rows)
    past = sliding_window_view(values, window)[rows - window]  # the window before each row
    spread = np.maximum(past.std(axis=1), TINY)
    return np.abs(values[rows] - past.mean(axis=1)) / spread


def seasonal_residual(series: np.ndarray, rows: np.ndarray, season: int | None) -> np.ndarray:
    """|x[r] - x[r - season]| (season 1, the naive residual, without a season)."""
    values = np.asarray(series, dtype=np.float64)
    lag = season or 1
    rows = np.asarray(rows)
    return np.abs(values[rows] - values[rows - lag])


def window_features(series: np.ndarray, rows: np.ndarray, window: int) -> np.ndarray:
    """Each row's last ``window`` values (the row included), minus their mean: the shape of
    the recent past, not its level, so a slow trend alone is not an anomaly."""
    values = np.asarray(series, dtype=np.float64)
    windows = sliding_window_view(values, window)[np.asarray(rows) - window + 1]
    return windows - windows.mean(axis=1, keepdims=True)


def isolation_forest(series: np.ndarray, fit_rows: np.ndarray, rows: np.ndarray, window: int,
                     seed: int = 0) -> np.ndarray:
    """Anomaly scores (the negated ``score_samples``) of an isolation forest fitted on the
    windows ending at ``fit_rows`` and applied to those ending at ``rows``."""
    from sklearn.ensemble import IsolationForest  # defers sklearn

    forest = IsolationForest(n_estimators=100, random_state=seed)
    forest.fit(window_features(series, fit_rows, window))
    return -forest.score_samples(window_features(series, rows, window))


DETECTORS: dict[str, str] = {
    "rolling_zscore": "rolling z-score over the {window} steps before",
    "seasonal_residual": "absolute change from {lag}",
    "isolation_forest": "isolation forest (scikit-learn, 100 trees) on centred windows of "
                        "{window} steps",
}
