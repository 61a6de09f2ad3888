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
}


@dataclass(frozen=True)
class TargetTransform:
    """One transform, fitted to a series so that forecasts can be mapped back to its units."""

    kind: str
    levels: np.ndarray  # the series after the log step (or as is), one value per row

    @property
    def uses_log(self) -> bool:
        return self.kind in ("log", "log_diff")

    @property
    def uses_diff(self) -> bool:
        return self.kind in ("diff", "log_diff")

    @property
    def lost_rows(self) -> int:
        """Leading rows without a value (the first row has no difference)."""
        return 1 if self.uses_diff else 0

    @classmethod
    def fit(cls, kind: str, series: np.ndarray) -> TargetTransform:
        if kind not in TRANSFORMS:
            raise ValueError(f"unknown transform {kind!r}")
        levels = np.log(series) if kind in ("log", "log_diff") else series.astype(np.float64)
        return cls(kind, levels)

    def forward(self) -> np.ndarray:
        """The transformed series, aligned with the rows (NaN where a row has no value)."""
        if not self.uses_diff:
            return self.levels.copy()
        out = np.empty_like(self.levels)
        out[0] = np.nan
        out[1:] = np.diff(self.levels)
        return out

    def inverse(self, values: np.ndarray, target_rows: np.ndarray | None) -> np.ndarray:
        """Transformed forecasts (n, horizon) for windows whose first target is ``target_rows``."""
        out = np.asarray(values, dtype=np.float64)
        if self.uses_diff:
            if target_rows is None:
                raise ValueError("inverting differences needs the windows' target rows")
            last_level = self.levels[np.asarray(target_rows) - 1]
            out = last_level[:, None] + np.cumsum(out, axis=1)
        return np.exp(out) if self.uses_log else out
