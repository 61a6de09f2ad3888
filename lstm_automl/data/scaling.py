"""Per-column scalers fitted on the training split only, invertible for original-unit metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scaler:
    """``(x - offset) / scale`` per column; ``kind`` is standard, minmax, robust or none.

    robust: the median and the interquartile range, so a few extreme values (spikes, sensor
    glitches) do not squeeze every other value into a narrow band as they do with minmax.
    """

    kind: str
    offset: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, kind: str, train: np.ndarray) -> Scaler:
        """Fit on training rows only (shape rows x columns): the test split never leaks in."""
        columns = train.shape[1]
        if kind == "standard":
            offset, scale = train.mean(axis=0), train.std(axis=0)
        elif kind == "minmax":
            offset, scale = train.min(axis=0), train.max(axis=0) - train.min(axis=0)
        elif kind == "robust":
            lower, offset, upper = np.percentile(train, [25.0, 50.0, 75.0], axis=0)
            scale = upper - lower
        elif kind == "none":
            offset, scale = np.zeros(columns), np.ones(columns)
        else:
            raise ValueError(f"unknown scaling {kind!r}")
        scale = np.where(scale > 0, scale, 1.0)
        return cls(kind, offset.astype(np.float64), scale.astype(np.float64))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.offset) / self.scale

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return values * self.scale + self.offset

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "offset": self.offset.tolist(), "scale": self.scale.tolist()}
