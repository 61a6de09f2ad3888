"""Per-row anomaly scores from the reconstruction errors of overlapping windows.

A sequence autoencoder (``data.scorer: autoencoder``) rebuilds windows of ``lookback`` rows; a
row lies in up to ``lookback`` of them. Its score is the mean, over the windows that cover it,
of the absolute reconstruction error averaged over the channels, so every row that any window
covers gets one. NumPy only: the sweep and the served model call the same functions.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def covering_starts(rows: tuple[int, int], lookback: int, n_rows: int) -> np.ndarray:
    """First rows of every window of ``lookback`` rows that covers a row in ``rows``
    (start, stop) of a series of ``n_rows`` rows."""
    start, stop = rows
    return np.arange(max(0, start - lookback + 1), min(stop, n_rows - lookback + 1))


def windows_at(values: np.ndarray, starts: np.ndarray, lookback: int) -> np.ndarray:
    """The windows (starts x lookback x channels, float32) of ``values`` (rows x channels)."""
    views = sliding_window_view(values.astype(np.float32), (lookback, values.shape[1]))
    return views[starts, 0]


def unflattened(rebuilt: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """The model's output (one flattened row per window) in the windows' shape, float64."""
    return np.asarray(rebuilt, np.float64).reshape(windows.shape)


def row_scores(starts: np.ndarray, windows: np.ndarray, rebuilt: np.ndarray,
               n_rows: int) -> np.ndarray:
    """Each row's mean absolute reconstruction error over the windows covering it (NaN where
    none does); ``windows`` is starts x lookback x channels, ``rebuilt`` the model's output."""
    errors = np.abs(unflattened(rebuilt, windows) - windows).mean(axis=2)
    return covered_mean(starts, errors, n_rows)


def covered_mean(starts: np.ndarray, values: np.ndarray, n_rows: int) -> np.ndarray:
    """Per row, the mean of ``values`` (starts x lookback: one value per window and position)
    over the windows that cover it; NaN where none does."""
    lookback = values.shape[1] if values.ndim > 1 else 0
    rows = (starts[:, None] + np.arange(lookback)).reshape(-1)
    total = np.zeros(n_rows)
    count = np.zeros(n_rows)
    np.add.at(total, rows, values.reshape(-1))
    np.add.at(count, rows, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1.0), np.nan)
