"""The regression baseline "a linear model on the sequence": ridge on the flattened cases.

A recurrent network predicting one number per sequence should beat a linear function of all
the values it reads; if it does not, the sequence order and memory bought nothing. The model:

* **Features.** Each case ``(length, channels)`` is flattened step by step into one row. Cases
  shorter than the longest training case are padded with 0 after their end (the value the
  recurrent models mask), so a coefficient always belongs to one step and channel counted from
  the start; steps of a test case beyond the longest training case are dropped (no coefficient
  was fitted for them). Columns are not standardised: they are the same channels at different
  steps, so one penalty suits them, and the caller decides the scaling of the cases.
* **Intercept**, not penalised (the columns and targets are centred first).
* **Penalty** ``alpha`` chosen by exact leave-one-out error, in closed form from one SVD:
  the leave-one-out residual of case ``i`` is ``e_i / (1 - H_ii)`` with ``H`` the hat matrix,
  so 65 candidates (``s_max^2 * 10^-12 .. 10^4`` in quarter decades, ``s_max`` the largest
  singular value of the centred design) cost no more than one fit. Candidates that fit some
  training case exactly (``H_ii`` = 1, leave-one-out undefined) are skipped; ties go to the
  larger penalty.

numpy only: no scikit-learn, no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LOG10_RANGE = (-12.0, 4.0)  # alpha / s_max^2, in decades
PER_DECADE = 4


def linear_sequence_regression(train: list[np.ndarray], train_y: np.ndarray,
                               test: list[np.ndarray]) -> tuple[np.ndarray, str]:
    """Ridge predictions for ``test`` and a label naming the leave-one-out ``alpha``.

    ``train`` and ``test`` are lists of ``(length, channels)`` arrays (lengths may differ);
    ``train_y`` holds one number per training case.
    """
    y = np.asarray(train_y, dtype=np.float64).reshape(-1)
    if len(train) != len(y):
        raise ValueError(f"{len(train)} training cases but {len(y)} targets")
    if len(y) < 2:
        raise ValueError("ridge by leave-one-out needs at least two training cases")
    steps = max(len(np.asarray(case)) for case in train)
    x = _flatten(train, steps)
    x_test = _flatten(test, steps)
    if x.shape[1] != x_test.shape[1]:
        raise ValueError("training and test cases have different numbers of channels")
    alpha, coef, intercept = _ridge_loo(x, y)
    return x_test @ coef + intercept, f"ridge on the sequence, alpha {alpha:.3g} by leave-one-out"


def _flatten(cases: Sequence[np.ndarray], steps: int) -> np.ndarray:
    """One row per case: steps x channels, zero-padded after the end, cut at ``steps``."""
    arrays = [np.asarray(case, dtype=np.float64) for case in cases]
    arrays = [a[:, None] if a.ndim == 1 else a for a in arrays]
    widths = {a.shape[1] for a in arrays}
    if len(widths) > 1:
        raise ValueError(f"cases have different numbers of channels: {sorted(widths)}")
    channels = widths.pop() if widths else 1
    out = np.zeros((len(arrays), steps, channels))
    for row, a in enumerate(arrays):
        kept = a[:steps]
        out[row, :len(kept)] = kept
    return out.reshape(len(arrays), steps * channels)


def _ridge_loo(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float]:
    """(alpha, coefficients, intercept) with alpha minimising the exact leave-one-out MSE."""
    x_mean, y_mean = x.mean(axis=0), y.mean()
    u, s, vt = np.linalg.svd(x - x_mean, full_matrices=False)
    keep = s > s[0] * 1e-12  # singular values come largest first
    u, s, vt = u[:, keep], s[keep], vt[keep]
    n = len(y)
    uty = u.T @ (y - y_mean)
    if not len(s):  # every column constant: the mean is all a linear model can say
        return 0.0, np.zeros(x.shape[1]), float(y_mean)
    count = int(round((LOG10_RANGE[1] - LOG10_RANGE[0]) * PER_DECADE)) + 1
    alphas = s[0] ** 2 * np.logspace(LOG10_RANGE[1], LOG10_RANGE[0], count)  # largest first
    best_alpha, best_error = alphas[0], np.inf
    for alpha in alphas:
        shrink = s**2 / (s**2 + alpha)
        fitted = y_mean + u @ (shrink * uty)
        leverage = 1.0 / n + (u**2) @ shrink
        if np.any(leverage >= 1.0 - 1e-10):
            continue
        error = float(np.mean(((y - fitted) / (1.0 - leverage)) ** 2))
        if error < best_error:  # strict: ties keep the larger alpha seen first
            best_alpha, best_error = alpha, error
    coef = vt.T @ (s / (s**2 + best_alpha) * uty)
    return float(best_alpha), coef, float(y_mean - x_mean @ coef)
