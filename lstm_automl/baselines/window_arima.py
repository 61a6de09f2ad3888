"""The ARIMA behind ``search.residual: arima``, fitted once on the training rows.

A small non-seasonal search (d from an ADF test, as the ``sarima`` baseline without a season
chooses it; then ARMA(p, q) with a mean on the d-th differences, p and q by AIC) on the target's
training series in the model's units, rebuilt from the windows. The parameters are then fixed.
A window is forecast by differencing it, running the ARMA's innovations filter from the window's
first step (earlier innovations taken as zero), forecasting the differences and summing them
back onto the window's last value. Every step is affine in the window's values, so the Keras
model applies the forecast as one constant affine layer (``arima_affine``).

Parameters: ``(d, p, q, mean, phi_1..phi_p, theta_1..theta_q)``.
"""

from __future__ import annotations

import warnings

import numpy as np

from lstm_automl.baselines.classical import differencing_order

ARIMA_MAX_FIT_ROWS = 5000
ORDERS = ((1, 0), (2, 0), (0, 1), (1, 1), (2, 1))  # (p, q), searched by AIC


def fit_window_arima(series: np.ndarray | None, steps: int) -> tuple[float, ...] | None:
    """The AIC-chosen ARMA(p, q) with a mean on the series' d-th differences; None where the
    series is too short (20 rows) or nothing fits. p + q + d stays below the lookback."""
    from statsmodels.tsa.arima.model import ARIMA

    if series is None or len(series) < 20:
        return None
    y = np.asarray(series, dtype=np.float64)[-ARIMA_MAX_FIT_ROWS:]
    best: tuple[float, tuple[float, ...]] | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            d = differencing_order(y)
        except (ValueError, np.linalg.LinAlgError):
            return None
        z = np.diff(y, n=d)
        for p, q in ORDERS:
            if p + q + d >= steps:
                continue
            try:
                result = ARIMA(z, order=(p, 0, q), trend="c").fit()
            except (ValueError, np.linalg.LinAlgError):
                continue
            params = (float(d), float(p), float(q), float(result.params[0]),
                      *map(float, result.arparams), *map(float, result.maparams))
            if np.isfinite(result.aic) and all(np.isfinite(params)) and (
                    best is None or result.aic < best[0]):
                best = (float(result.aic), params)
    return None if best is None else best[1]


def arima_window_forecast(params: tuple[float, ...], history: np.ndarray,
                          horizon: int) -> np.ndarray:
    """(n, horizon) forecasts of each row of ``history`` (n, steps) by the fixed ARIMA."""
    d, p, q = int(params[0]), int(params[1]), int(params[2])
    mean = params[3]
    phi, theta = np.asarray(params[4:4 + p]), np.asarray(params[4 + p:4 + p + q])
    y = np.asarray(history, dtype=np.float64)
    z = (np.diff(y, n=d, axis=1) if d else y) - mean
    n, length = z.shape
    errors = np.zeros((n, length + horizon))
    values = np.concatenate([z, np.zeros((n, horizon))], axis=1)
    for t in range(p, length + horizon):
        fitted = sum(phi[i] * values[:, t - 1 - i] for i in range(p)) + sum(
            theta[j] * errors[:, t - 1 - j] for j in range(q) if t - 1 - j >= 0)
        if t < length:
            errors[:, t] = z[:, t] - fitted
        else:
            values[:, t] = fitted
    ahead = values[:, length:] + mean
    if d:
        ahead = y[:, -1:] + np.cumsum(ahead, axis=1)
    return ahead


def arima_affine(params: tuple[float, ...], steps: int,
                 horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """``(weights (steps, horizon), bias (horizon,))``: the window's forecast is affine in it."""
    bias = arima_window_forecast(params, np.zeros((1, steps)), horizon)[0]
    weights = arima_window_forecast(params, np.eye(steps), horizon) - bias[None, :]
    return weights, bias


def arima_label(params: tuple[float, ...]) -> str:
    d, p, q = (int(v) for v in params[:3])
    return f"ARIMA({p},{d},{q}) with mean on the scaled target, restarted per window"


__all__ = ["arima_affine", "arima_label", "arima_window_forecast", "fit_window_arima"]
