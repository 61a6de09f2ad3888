"""Forecast metrics in original units and the naive baselines every sweep is compared with.

NumPy only, so the numbers can be checked against published results without TensorFlow.
"""

from __future__ import annotations

import numpy as np


def forecast_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and MAPE (percent; left out when a true value is 0) over all horizons."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    error = y_pred - y_true
    metrics = {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
    }
    if np.all(y_true != 0):
        metrics["mape"] = float(np.mean(np.abs(error / y_true)) * 100.0)
    return metrics


def naive_forecast(series: np.ndarray, target_rows: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last observed value: the forecast any model must beat."""
    last = series[target_rows - 1]
    return np.repeat(last[:, None], horizon, axis=1)


def seasonal_naive_forecast(series: np.ndarray, target_rows: np.ndarray, horizon: int,
                            season: int) -> np.ndarray:
    """Repeat the value one season earlier (for steps beyond a season, the latest seasonal one)."""
    out = np.empty((len(target_rows), horizon))
    for k in range(horizon):
        lag = season * (k // season + 1)
        out[:, k] = series[target_rows + k - lag]
    return out


def baseline_metrics(series: np.ndarray, target_rows: np.ndarray, y_true: np.ndarray,
                     horizon: int, season: int | None) -> dict[str, dict[str, float]]:
    """Metrics of each baseline that the history allows, keyed by baseline name."""
    results = {"naive": forecast_metrics(y_true, naive_forecast(series, target_rows, horizon))}
    if season and season > 1 and np.all(target_rows - season >= 0):
        predicted = seasonal_naive_forecast(series, target_rows, horizon, season)
        results["seasonal_naive"] = forecast_metrics(y_true, predicted)
    return results
