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


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1 and log-loss from class probabilities (n, classes) or (n, k, classes)."""
    labels = np.asarray(labels).reshape(-1).astype(int)
    probs = np.asarray(probabilities, dtype=np.float64).reshape(len(labels), -1)
    predicted = probs.argmax(axis=1)
    classes = probs.shape[1]
    f1s = []
    for c in range(classes):
        tp = np.sum((predicted == c) & (labels == c))
        fp = np.sum((predicted == c) & (labels != c))
        fn = np.sum((predicted != c) & (labels == c))
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    clipped = np.clip(probs[np.arange(len(labels)), labels], 1e-15, 1.0)
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "log_loss": float(-np.mean(np.log(clipped))),
    }


def one_hot_probabilities(predicted: np.ndarray, classes: int) -> np.ndarray:
    """Hard predictions as probabilities (for baselines that only vote)."""
    out = np.full((len(predicted), classes), 1e-15)
    out[np.arange(len(predicted)), predicted] = 1.0
    return out


def nearest_neighbour(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray) -> np.ndarray:
    """1-NN with Euclidean distance on flattened sequences (the UCR archive's reference)."""
    a = train_x.reshape(len(train_x), -1).astype(np.float64)
    b = test_x.reshape(len(test_x), -1).astype(np.float64)
    distances = (b**2).sum(1)[:, None] - 2 * b @ a.T + (a**2).sum(1)[None, :]
    return train_y[np.argmin(distances, axis=1)]


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """RMSE and MAE (MAPE is meaningless around zero, common in sequence regression)."""
    metrics = forecast_metrics(actual, predicted)
    metrics.pop("mape", None)
    return metrics
