"""Choosing between forecasts of a classical model on the validation rows, never on the test.

A log model's back-transformed forecast ``exp(mean)`` is a median. The mean needs a factor per
step; it is estimated by smearing (Duan, 1983: the average ratio of actual to median forecast on
the training windows). Which of the two a baseline entry reports is decided as the network's
hyperparameters are: the model, estimated on the training rows only, forecasts from every origin
inside the validation rows (on the actual history, as the test is forecast), and the lower RMSE
over every forecast step that lands inside the validation rows wins (``classical.py`` then uses
the estimate on every row before the test split). ``choose`` also ranks several candidates the
same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Forecaster(Protocol):
    label: str

    def forecast(self, series: np.ndarray, target_rows: np.ndarray,
                 horizon: int) -> np.ndarray: ...


@dataclass
class Scored:
    """One candidate and its validation RMSE; ``factors`` is None for the median forecast."""

    model: Forecaster
    rmse: float
    factors: np.ndarray | None = None


def window_rows(start: int, stop: int, horizon: int) -> np.ndarray:
    """First target rows of every window whose targets lie in rows ``start .. stop - 1``."""
    return np.arange(start, stop - horizon + 1)


def smearing_factors(model: Forecaster, series: np.ndarray, first: int, stop: int,
                     horizon: int) -> np.ndarray:
    """Mean over the windows before ``stop`` of actual / median forecast, one factor per step.

    Only the second half of those windows is used: a state-space filter's first predictions
    start from a diffuse state and would dominate the average.
    """
    rows = window_rows(max(first, stop // 2), stop, horizon)
    if len(rows) < 2:
        raise ValueError("too few training windows to estimate a bias adjustment")
    predicted = model.forecast(series, rows, horizon)
    actual = series[rows[:, None] + np.arange(horizon)]
    factors = np.mean(actual / predicted, axis=0)
    if not np.all(np.isfinite(factors)) or np.any(factors <= 0):
        raise ValueError("the bias adjustment is not finite")
    return factors


def score(model: Forecaster, series: np.ndarray, part: tuple[int, int], horizon: int,
          factors: np.ndarray | None = None) -> float:
    """RMSE of every forecast the rows ``part`` can check: from each origin inside it, steps
    1..horizon as far as they stay inside it (inf if unusable). Short validation splits keep
    many errors this way even for a long horizon, and nothing beyond ``part`` is read.
    """
    start, stop = part
    rows = np.arange(start, stop)
    try:
        predicted = model.forecast(series, rows, horizon)
    except (ValueError, np.linalg.LinAlgError):
        return float("inf")
    if factors is not None:
        predicted = predicted * factors[None, :]
    targets = rows[:, None] + np.arange(horizon)
    inside = targets < stop
    actual = series[np.minimum(targets, stop - 1)]
    error = float(np.sqrt(np.mean((actual - predicted)[inside] ** 2)))
    return error if np.isfinite(error) else float("inf")


def choose(candidates: Sequence[tuple[Forecaster, bool, int]], series: np.ndarray,
           validation: tuple[int, int], horizon: int) -> Scored:
    """The candidate (and, for a log model, median or mean forecast) with the lowest
    validation RMSE; ties keep the earlier one. Each candidate is ``(model, uses_log,
    first_origin)``, fitted on the rows before ``validation[0]`` only.
    """
    if not candidates:
        raise ValueError("no candidate to choose from")
    if validation[1] <= validation[0]:  # no validation row: the first (preferred) candidate
        return Scored(candidates[0][0], float("nan"))
    best: Scored | None = None
    for model, uses_log, first in candidates:
        options: list[np.ndarray | None] = [None]
        if uses_log:
            try:
                options.append(smearing_factors(model, series, first, validation[0], horizon))
            except (ValueError, np.linalg.LinAlgError):
                pass
        for factors in options:
            rmse = score(model, series, validation, horizon, factors)
            if best is None or rmse < best.rmse:
                best = Scored(model, rmse, factors)
    assert best is not None
    if not np.isfinite(best.rmse):
        return Scored(candidates[0][0], float("nan"))
    return best
