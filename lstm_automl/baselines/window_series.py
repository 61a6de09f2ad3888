"""The classical models behind ``residual: ar | ets | arima`` and ``window_norm: ets``, fitted
on the windows of the splits they may see: the training windows, and the validation windows too
for a refit (or one backtest fold's training windows).

The AR is estimated on the windows themselves; ETS and ARIMA on the target's own series in the
model's units (scaled and transformed as the windows' target channel is), rebuilt from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_automl.baselines.window_ar import fit_window_ar
from lstm_automl.baselines.window_arima import fit_window_arima
from lstm_automl.baselines.window_ets import fit_window_ets

SERIES_MODELS = ("ets", "arima")
MODELS = ("ar", *SERIES_MODELS)


def series_of_windows(parts: list[Any], channel: int) -> np.ndarray | None:
    """The target's contiguous series (model units) that the windows of ``parts`` were cut from,
    or None when they do not come from one gap-free series (several cases)."""
    rows, values = [], []
    for part in parts:
        steps, horizon = int(part.x.shape[1]), int(part.y.shape[1])
        start = np.asarray(part.index, dtype=np.int64)[:, None]
        rows += [(start - steps + np.arange(steps)).ravel(), (start + np.arange(horizon)).ravel()]
        values += [np.asarray(part.x[:, :, channel]).ravel(), np.asarray(part.y).ravel()]
    if not rows:
        return None
    row, value = np.concatenate(rows), np.concatenate(values).astype(np.float64)
    first = int(row.min())
    series = np.full(int(row.max()) - first + 1, np.nan)
    series[row - first] = value
    if np.isnan(series).any() or not np.allclose(series[row - first], value, atol=1e-5):
        return None
    return series


def fit_series_model(kind: str, series: np.ndarray | None, season: int | None,
                     steps: int) -> tuple[float, ...] | None:
    """The parameters of ``kind`` (``ets`` or ``arima``) fitted on ``series``, or None."""
    if kind == "ets":
        return fit_window_ets(series, season, steps)
    if kind == "arima":
        return fit_window_arima(series, steps)
    raise ValueError(f"no classical model {kind!r}; expected one of {', '.join(SERIES_MODELS)}")


def fit_on_windows(kind: str, parts: list[Any], channel: int, season: int | None,
                   steps: int) -> tuple[float, ...] | None:
    """The parameters of ``kind`` (one of ``MODELS``) fitted on the windows of ``parts``."""
    parts = [part for part in parts if len(part.x)]
    if not parts:
        return None
    if kind == "ar":
        x = np.concatenate([part.x for part in parts])
        y = np.concatenate([part.y for part in parts])
        return fit_window_ar(x, y, channel, season)
    return fit_series_model(kind, series_of_windows(parts, channel), season, steps)


__all__ = ["MODELS", "SERIES_MODELS", "fit_on_windows", "fit_series_model",
           "series_of_windows"]
