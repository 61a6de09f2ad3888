"""Target transforms (log, first differences) applied before scaling and inverted for metrics.

Differencing turns a trending series into one a recurrent net can extrapolate: the model predicts
changes, and the forecast is rebuilt from the last observed level, which a forecaster has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRANSFORMS: dict[str, str] = {
    "none": "the target as it is",
    "log": "natural log (values must be > 0)",
    "diff": "first differences: the model predicts the change from the last observed value",
    "log_diff": "first differences of the log: relative changes",
    "seasonal_diff": "seasonal differences: the change from the same point one season earlier",
    "log_seasonal_diff": "seasonal differences of the log",
}


@dataclass(frozen=True)
class TargetTransform:
    """One transform, fitted to a series so that forecasts can be mapped back to its units."""

    kind: str
    levels: np.ndarray  # the series after the log step (or as is), one value per row
    lag: int = 0  # 0: no differencing; 1: first differences; season: seasonal differences

    @property
    def uses_log(self) -> bool:
        return self.kind.startswith("log")

    @property
    def uses_diff(self) -> bool:
        return self.lag > 0

    @property
    def lost_rows(self) -> int:
        """Leading rows without a value (the first ``lag`` rows have no difference)."""
        return self.lag

    @classmethod
    def fit(cls, kind: str, series: np.ndarray, season: int | None = None) -> TargetTransform:
        if kind not in TRANSFORMS:
            raise ValueError(f"unknown transform {kind!r}")
        lag = 0
        if kind.endswith("seasonal_diff"):
            if not season or season < 2:
                raise ValueError("seasonal differencing needs a season length >= 2")
            lag = season
        elif kind.endswith("diff"):
            lag = 1
        levels = np.log(series) if kind.startswith("log") else series.astype(np.float64)
        return cls(kind, levels, lag)

    def forward(self) -> np.ndarray:
        """The transformed series, aligned with the rows (NaN where a row has no value)."""
        if not self.lag:
            return self.levels.copy()
        out = np.full_like(self.levels, np.nan)
        out[self.lag:] = self.levels[self.lag:] - self.levels[:-self.lag]
        return out

    def inverse(self, values: np.ndarray, target_rows: np.ndarray | None) -> np.ndarray:
        """Transformed forecasts (n, horizon) for windows whose first target is ``target_rows``.

        Step k is rebuilt on the level ``lag`` steps earlier: observed history while that lies
        before the window's first target, the window's own earlier forecast after it.
        """
        changes = np.asarray(values, dtype=np.float64)
        out = changes
        if self.lag:
            if target_rows is None:
                raise ValueError("inverting differences needs the windows' target rows")
            rows = np.asarray(target_rows)
            out = np.empty_like(changes)
            for k in range(changes.shape[1]):
                base = self.levels[rows + k - self.lag] if k < self.lag else out[:, k - self.lag]
                out[:, k] = base + changes[:, k]
        return np.exp(out) if self.uses_log else out
