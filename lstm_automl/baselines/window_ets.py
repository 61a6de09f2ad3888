"""The exponential smoothing behind ``search.residual: ets``, fitted once on the training rows.

Additive Holt-Winters (trend none, additive or damped; season none or additive, chosen by AICc)
is estimated on the target's training series in the model's own units (scaled, transformed),
rebuilt from the training windows. The parameters are then fixed. A window is forecast by the
same equations restarted at the window's first step: the initial level, trend and season are
read off the window's first season (or first steps), then the states are filtered over the
window. Every step of that is linear in the window's values, so the H-step forecast is one
matrix (``ets_weights``), which the Keras model applies as a constant layer: the saved model
carries only the smoothing parameters, and each window is forecast from its own history.

A multiplicative season is not offered: scaled values may be zero or negative. A sweep wanting
one sets ``data.transform: log``, under which an additive season is a multiplicative one.
"""

from __future__ import annotations

import numpy as np

from lstm_automl.baselines.classical import fit_ets

ETS_MAX_FIT_ROWS = 5000  # parameters of a long series are estimated on its latest rows


def fit_window_ets(series: np.ndarray | None, season: int | None,
                   steps: int) -> tuple[float, ...] | None:
    """``(alpha, beta, gamma, phi, season, trend)`` of the AICc-chosen additive ETS (season 0:
    none; trend 1.0 or 0.0: with a trend or without); None where no candidate fits."""
    if series is None or len(series) < 10:
        return None
    y = np.asarray(series, dtype=np.float64)[-ETS_MAX_FIT_ROWS:]
    seasonal = [None]
    if season and 1 < season < steps and len(y) >= 2 * season:
        seasonal.append("add")
    best = None
    for kind in seasonal:
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            try:
                fit = fit_ets(y, season, trend=trend, damped=damped, seasonal=kind)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if best is None or fit.criterion < best.criterion:
                best = fit
    if best is None or not np.isfinite(best.criterion):
        return None
    p = best.params
    params = (float(p["smoothing_level"]),
              float(p.get("smoothing_trend") or 0.0) if best.trend else 0.0,
              float(p.get("smoothing_seasonal") or 0.0) if best.seasonal else 0.0,
              float(p.get("damping_trend") or 1.0) if best.damped else 1.0,
              float(best.season or 0) if best.seasonal else 0.0,
              1.0 if best.trend else 0.0)
    return params if all(np.isfinite(params)) else None


def _filter(params: tuple[float, ...], history: np.ndarray) -> tuple[np.ndarray, ...]:
    """The fixed ETS restarted at each row's first step: (level, trend, season) after the last
    step, and (n, steps) level + season after each step (the first season's: the values)."""
    alpha, beta, gamma, phi = params[:4]
    m, trended = int(params[4]), bool(params[5])
    y = np.asarray(history, dtype=np.float64)
    n, steps = y.shape
    head = m if m else 1
    mean = y[:, :head].mean(axis=1)  # the level at the middle of the first season
    trend = np.zeros(n)
    if trended:  # the change between the first two season means, or the first step's
        trend = ((y[:, m:2 * m].mean(axis=1) - mean) / m if m and steps >= 2 * m
                 else y[:, 1] - y[:, 0] if steps > 1 else trend)
    middle = (head - 1) / 2.0
    level = mean + trend * middle  # carried to the last step of the first season
    season = (y[:, :m] - mean[:, None] - trend[:, None] * (np.arange(m) - middle)
              if m else np.zeros((n, 0)))
    states = y.copy()
    for t in range(head, steps):
        s = season[:, t % m] if m else 0.0
        new_level = alpha * (y[:, t] - s) + (1 - alpha) * (level + phi * trend)
        if m:
            season[:, t % m] = gamma * (y[:, t] - level - phi * trend) + (1 - gamma) * s
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
        states[:, t] = level + (season[:, t % m] if m else 0.0)
    return level, trend, season, states


def ets_window_forecast(params: tuple[float, ...], history: np.ndarray,
                        horizon: int) -> np.ndarray:
    """(n, horizon) forecasts of each row of ``history`` (n, steps) by the fixed ETS restarted
    at the row's first step."""
    phi, m, steps = params[3], int(params[4]), np.shape(history)[1]
    level, trend, season, _ = _filter(params, history)
    ahead = np.arange(1, horizon + 1)
    damping = np.cumsum(phi ** ahead) if phi != 1.0 else ahead.astype(np.float64)
    out = level[:, None] + trend[:, None] * damping[None, :]
    if m:
        out = out + season[:, (steps + ahead - 1) % m]
    return out


def ets_normalised(params: tuple[float, ...], history: np.ndarray) -> np.ndarray:
    """(n, steps): each value less the level and season the ETS holds after it
    (``window_norm: ets``, ES-RNN's deseasonalised, level-normalised input, additive)."""
    return np.asarray(history, dtype=np.float64) - _filter(params, history)[3]


def ets_norm_weights(params: tuple[float, ...], steps: int) -> np.ndarray:
    """(steps, steps): ``normalised = window @ weights``; linear like the forecast."""
    return ets_normalised(params, np.eye(steps))


def ets_weights(params: tuple[float, ...], steps: int, horizon: int) -> np.ndarray:
    """(steps, horizon): ``forecast = window @ weights``; the restarted filter is linear."""
    return ets_window_forecast(params, np.eye(steps), horizon)


def ets_label(params: tuple[float, ...]) -> str:
    trend = "N" if not params[5] else ("Ad" if params[3] != 1.0 else "A")
    return f"ETS(A,{trend},{'A' if params[4] else 'N'}) on the scaled target, restarted per window"


__all__ = ["ets_label", "ets_norm_weights", "ets_normalised", "ets_weights",
           "ets_window_forecast", "fit_window_ets"]
