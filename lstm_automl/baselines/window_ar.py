"""The AR model behind ``search.residual: ar``, fitted once on the training windows.

The network's residual starts from a classical forecast, so that it only learns what the AR gets
wrong (the hybrid idea of ES-RNN, the M4 winner). The AR is estimated here, in the model's own
units (the scaled, transformed target channel of each window), by least squares of each
window's first target on its last ``p`` target values, ``p`` chosen by AIC; the parameters are
then fixed. Its recursive H-step forecast is an affine map of the window's last ``p`` values,
so the Keras model applies it as a constant layer (``cells/window.ArBaseline``): each window is
forecast from its own history only, and the registered model carries the parameters, so
``predict``, the pyfunc and REST serve it unchanged.

Fitted on the training windows for trials, on train + validation for a refit final model.
NumPy only.
"""

from __future__ import annotations

import numpy as np

MIN_WINDOWS_PER_LAG = 4  # p lags need at least 4p training windows


def max_ar_lag(steps: int, windows: int, season: int | None) -> int:
    """Two seasons of lags (12 without a season), within the lookback and a quarter of the
    training windows."""
    wanted = 2 * season if season and season > 1 else 12
    return int(min(wanted, steps, windows // MIN_WINDOWS_PER_LAG))


def fit_window_ar(x: np.ndarray, y: np.ndarray, channel: int,
                  season: int | None = None) -> tuple[float, ...] | None:
    """``(const, phi_1, ..., phi_p)`` of the AIC-chosen AR(p) with a constant, from windows
    ``x`` (n, steps, features) and their targets ``y`` (n, horizon); None where the windows are
    too few or the fit is degenerate. ``phi_k`` weighs the value k steps before the origin."""
    n, steps = len(x), int(x.shape[1])
    max_lag = max_ar_lag(steps, n, season)
    if max_lag < 1:
        return None
    history = np.asarray(x[:, :, channel], dtype=np.float64)
    target = np.asarray(y[:, 0], dtype=np.float64)
    lagged = history[:, ::-1][:, :max_lag]  # column k-1: k steps back
    if not (np.all(np.isfinite(lagged)) and np.all(np.isfinite(target))):
        return None
    best: tuple[float, np.ndarray] | None = None
    for p in range(1, max_lag + 1):
        design = np.column_stack([np.ones(n), lagged[:, :p]])
        params, _, rank, _ = np.linalg.lstsq(design, target, rcond=None)
        if rank < p + 1:
            break  # a constant or collinear series: more lags add nothing
        rss = max(float(np.sum((target - design @ params) ** 2)), 1e-300)
        aic = n * np.log(rss / n) + 2.0 * (p + 2)
        if best is None or aic < best[0]:
            best = (aic, params)
    if best is None or not np.all(np.isfinite(best[1])):
        return None
    return tuple(float(v) for v in best[1])


def ar_affine(params: tuple[float, ...], horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """``(weights, bias)`` with ``forecast = last_p_values @ weights + bias``: the recursive
    H-step AR forecast as one affine map. ``weights`` is (p, horizon), rows oldest first."""
    const, phi = params[0], np.asarray(params[1:], dtype=np.float64)
    p = len(phi)
    # Each buffer entry as (coefficients on the p observed values, constant).
    coeffs = [np.eye(p)[j] for j in range(p)]  # observed values, oldest first
    consts = [0.0] * p
    for _ in range(horizon):
        c = const + sum(phi[k] * consts[-1 - k] for k in range(p))
        w = sum(phi[k] * coeffs[-1 - k] for k in range(p))
        coeffs.append(np.asarray(w, dtype=np.float64))
        consts.append(float(c))
    return np.stack(coeffs[p:], axis=1), np.asarray(consts[p:], dtype=np.float64)


def ar_forecast(params: tuple[float, ...], history: np.ndarray, horizon: int) -> np.ndarray:
    """(n, horizon) recursive forecasts from each row of ``history`` (n, >= p): the reference
    the Keras layer is tested against."""
    p = len(params) - 1
    weights, bias = ar_affine(params, horizon)
    return np.asarray(history, dtype=np.float64)[:, -p:] @ weights + bias


def ar_label(params: tuple[float, ...]) -> str:
    return f"AR({len(params) - 1}) with constant, on the scaled target"


__all__ = ["ar_affine", "ar_forecast", "ar_label", "fit_window_ar", "max_ar_lag"]
