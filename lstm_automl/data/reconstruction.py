"""Anomaly detection by a sequence autoencoder (``task: detect``, ``data.scorer: autoencoder``).

The network reads a window of ``lookback`` scaled rows and rebuilds it (``hypermodel``'s
reconstruct shape: the searched recurrent encoder, a repeated code and a recurrent decoder). A
row's anomaly score is its mean absolute reconstruction error over the windows that cover it
(``window_errors.py``), so every row gets one, the first rows included. Threshold, metrics,
classical detectors and the test table are those of the forecasting detector (``detect.py``),
on every row of each split. With ``training_anomalies: drop`` no training or validation window
that covers a labelled row enters the loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar

import numpy as np

from lstm_automl.config.schema import DetectDataConfig
from lstm_automl.data.base import ModelShape, Windows
from lstm_automl.data.detect import DetectData, prepare_detect
from lstm_automl.data.window_errors import (
    covered_mean,
    covering_starts,
    row_scores,
    unflattened,
    windows_at,
)
from lstm_automl.errors import DataError


@dataclass
class ReconstructionData(DetectData):
    """A detector whose network rebuilds windows; ``Windows.index`` holds each window's first
    row and ``y`` the window itself, flattened (the model's output)."""

    scaled: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    score_words: ClassVar[str] = "autoencoder's mean absolute reconstruction error, scaled units"

    def model_shape(self, refit: bool = False) -> ModelShape:
        return ModelShape(self.lookback, self.n_features, self.n_features, "reconstruct")

    def scored_rows(self, split: str) -> np.ndarray:
        return np.arange(*self.split_rows[split])

    def row_scores(self, windows: Windows, rebuilt: np.ndarray) -> np.ndarray:
        """Scores of every row the windows cover (NaN elsewhere)."""
        return row_scores(windows.index, windows.x, rebuilt, len(self.scaled))

    def split_scores(self, split: str, predicted: np.ndarray) -> np.ndarray:
        windows = self.splits["test"] if split == "test" else self.scoring[split]
        return self.row_scores(windows, predicted)[self.scored_rows(split)]

    def network_metrics(self, predicted: np.ndarray, scores: np.ndarray) -> dict[str, float]:
        """The mean score of the test rows: how well the network rebuilt them."""
        return {"reconstruction_mae": float(np.mean(scores))}

    def predicted_values(self, predicted: np.ndarray) -> np.ndarray:
        """Each test row's rebuilt value (original units, NaN without the target as input)."""
        return self.rebuilt_target(self.splits["test"], predicted)[self.scored_rows("test")]

    def rebuilt_target(self, windows: Windows, rebuilt: np.ndarray) -> np.ndarray:
        """Each row's rebuilt target in original units, averaged over the windows covering it
        (NaN where the target is not an input channel)."""
        if self.target not in self.features:
            return np.full(len(self.scaled), np.nan)
        channel = self.features.index(self.target)
        scaled = covered_mean(windows.index, unflattened(rebuilt, windows.x)[:, :, channel],
                              len(self.scaled))
        return scaled * self.feature_scaler.scale[channel] + self.feature_scaler.offset[channel]

    def preview(self, count: int = 3) -> list[str]:
        """The first windows of train and test: the rows each covers, which it rebuilds."""
        lines = []
        for split in ("train", "test"):
            windows = self.splits[split]
            for i, start in enumerate(windows.index[:count].tolist()):
                stop = start + self.lookback - 1
                when = (f"{self.time_values[start]}..{self.time_values[stop]}"
                        if self.time_values else f"rows {start}..{stop}")
                first = ", ".join(f"{v:g}" for v in self.series[start:start + 3])
                lines.append(f"{split} window {i}: {when}: {first}, ... ({self.target}, original "
                             f"units) rebuilt by the autoencoder from themselves "
                             f"({self.feature_scaler.kind}-scaled)")
        return lines

    def summary(self) -> dict[str, object]:
        return {**super().summary(), "scorer": "autoencoder"}


def prepare_detector(config: DetectDataConfig, base_dir: Path) -> DetectData:
    """The detector ``data.scorer`` names: the forecaster of ``detect.py``, or the
    autoencoder's windows of the same series, split and scaling."""
    data = prepare_detect(config, base_dir)
    if config.scorer != "autoencoder":
        return data
    lookback, n = data.lookback, len(data.series)
    values = np.column_stack([data.columns[c] for c in data.features])
    scaled = data.feature_scaler.transform(values)
    n_train, val_stop = data.split_rows["train"][1], data.split_rows["validation"][1]
    if n_train < lookback:
        raise DataError(f"{data.source}: the training split has {n_train} rows, fewer than "
                        f"data.lookback ({lookback}): no window to train the autoencoder on")

    def windows(starts: np.ndarray) -> Windows:
        x = windows_at(scaled, starts, lookback)
        return Windows(x, x.reshape(len(x), -1), starts)

    train = windows(np.arange(0, n_train - lookback + 1))
    # Windows ending in validation (their first rows may be training history): never a test row.
    validation = windows(np.arange(n_train - lookback + 1, val_stop - lookback + 1))
    scoring = {"train": train, "validation": validation}
    splits = {"train": train, "validation": validation,
              "test": windows(covering_starts(data.split_rows["test"], lookback, n))}
    if config.training_anomalies == "drop":
        for split in ("train", "validation"):
            part = splits[split]
            covered = data.labels[part.index[:, None] + np.arange(lookback)].any(axis=1)
            splits[split] = Windows(part.x[~covered], part.y[~covered], part.index[~covered])
    kept = {f.name: getattr(data, f.name) for f in fields(DetectData)}
    kept.update(splits=splits, scoring=scoring)
    return ReconstructionData(**kept, scaled=scaled)
