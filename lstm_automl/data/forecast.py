"""Forecasting data: order, split chronologically, scale on train, cut windows.

A window's targets always lie inside one split; its inputs may reach back into earlier rows,
which is history a forecaster has at that moment, never the future.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lstm_automl.config import DataConfig
from lstm_automl.data.builtin import DATASETS, builtin_name, datasets_dir
from lstm_automl.data.scaling import Scaler
from lstm_automl.data.table import Table, read_csv
from lstm_automl.data.transforms import TargetTransform
from lstm_automl.errors import DataError

SPLITS = ("train", "validation", "test")


@dataclass
class Windows:
    """Model-ready arrays of one split: x (n, lookback, features), y (n, horizon), scaled."""

    x: np.ndarray
    y: np.ndarray
    target_rows: np.ndarray  # row index of each window's first target, for dates and plots


@dataclass
class ForecastData:
    """Everything a sweep needs from the data, computed once."""

    source: str
    target: str
    features: list[str]
    lookback: int
    horizon: int
    splits: dict[str, Windows]
    split_rows: dict[str, tuple[int, int]]
    feature_scaler: Scaler
    target_scaler: Scaler
    transform: TargetTransform
    time_values: list[str] | None
    season: int | None
    series: np.ndarray = field(repr=False)  # the target in original units, all rows

    @property
    def n_features(self) -> int:
        return len(self.features)

    def inverse_target(self, y_scaled: np.ndarray,
                       target_rows: np.ndarray | None = None) -> np.ndarray:
        """Scaled (and transformed) predictions or targets back to original units.

        ``target_rows`` (each window's first target row) is needed when the target is
        differenced: the forecast is rebuilt from the last observed level before that row.
        """
        unscaled = y_scaled * self.target_scaler.scale[0] + self.target_scaler.offset[0]
        if self.transform.kind == "none":
            return unscaled
        return self.transform.inverse(unscaled, target_rows)

    def summary(self) -> dict[str, object]:
        """Flat facts for the CLI and the MLflow parent run."""
        facts: dict[str, object] = {
            "source": self.source, "target": self.target, "features": ",".join(self.features),
            "lookback": self.lookback, "horizon": self.horizon,
            "scaling": self.target_scaler.kind, "transform": self.transform.kind,
        }
        for name in SPLITS:
            start, stop = self.split_rows[name]
            facts[f"{name}_rows"] = stop - start
            facts[f"{name}_windows"] = len(self.splits[name].x)
            if self.time_values:
                facts[f"{name}_range"] = f"{self.time_values[start]}..{self.time_values[stop - 1]}"
        return facts


def _resolve_source(config: DataConfig, base_dir: Path) -> tuple[Path, str | None, str | None]:
    name = builtin_name(config.source)
    if name is None:
        path = Path(config.source)
        return (path if path.is_absolute() else base_dir / path), None, None
    if name not in DATASETS:
        raise DataError(
            f"data.source: unknown builtin dataset '{name}'; available: "
            f"{', '.join('builtin:' + n for n in DATASETS)}"
        )
    spec = DATASETS[name]
    return datasets_dir() / spec.file, spec.target, spec.time_column


def _count(part: int | float, n_rows: int) -> int:
    return int(part) if isinstance(part, int) else int(round(part * n_rows))


def _order(table: Table, time_column: str | None) -> tuple[np.ndarray, list[str] | None]:
    if time_column is None:
        return np.arange(table.n_rows), None
    values = table.require(time_column, "data.time_column")
    try:
        keys: list[object] = [float(v) for v in values]
    except ValueError:
        keys = list(values)  # ISO dates (1949-01, 2024-03-05 10:00) sort correctly as text
    if len(set(keys)) != len(keys):
        raise DataError(f"{table.path}: column '{time_column}' repeats a time value")
    order = np.array(sorted(range(len(keys)), key=lambda i: keys[i]))  # type: ignore[arg-type, return-value]
    return order, [values[i] for i in order]


def _windows(values: np.ndarray, target: np.ndarray, rows: tuple[int, int], lookback: int,
             horizon: int, lost_rows: int) -> Windows:
    start, stop = rows
    first = max(start, lookback + lost_rows)
    positions = np.arange(first, stop - horizon + 1)
    x = np.stack([values[p - lookback:p] for p in positions]) if len(positions) else \
        np.zeros((0, lookback, values.shape[1]))
    y = np.stack([target[p:p + horizon] for p in positions]) if len(positions) else \
        np.zeros((0, horizon))
    return Windows(x.astype(np.float32), y.astype(np.float32), positions)


def prepare_forecast(config: DataConfig, base_dir: Path) -> ForecastData:
    """Load, order, split, scale and window a forecasting dataset; DataError on bad data."""
    path, default_target, default_time = _resolve_source(config, base_dir)
    table = read_csv(path)
    target = config.target or default_target
    if target is None:
        raise DataError(f"{path}: data.target is required for a CSV source; columns: "
                        f"{', '.join(table.columns)}")
    features = list(config.features or [target])
    order, time_values = _order(table, config.time_column or default_time)
    target_values = table.numeric(target, "data.target")[order]
    feature_values = np.column_stack(
        [table.numeric(col, "data.features")[order] for col in features]
    )
    if config.transform in ("log", "log_diff") and np.any(target_values <= 0):
        row = int(np.argmax(target_values <= 0))
        raise DataError(f"{path}: column '{target}': data.transform '{config.transform}' needs "
                        f"values > 0, but row {int(order[row]) + 2} is {target_values[row]:g}")
    transform = TargetTransform.fit(config.transform, target_values)
    transformed = transform.forward()
    for index, column in enumerate(features):
        if column == target:  # the model sees the target's history on the scale it predicts
            feature_values[:, index] = transformed
    n = len(order)
    name = builtin_name(config.source)
    test_part = config.split.test if config.split.test is not None else (
        DATASETS[name].test if name else 0.15)
    n_test = _count(test_part, n)
    n_val = _count(config.split.validation, n)
    n_train = n - n_val - n_test
    lookback, horizon = config.lookback, config.horizon
    needed = lookback + horizon + transform.lost_rows
    if n_test < horizon or n_val < horizon or n_train < needed:
        raise DataError(
            f"{path}: {n} rows are too few: lookback {lookback} + horizon {horizon} need at least "
            f"{needed} training rows and {horizon} each for validation and test, but the split "
            f"gives train {n_train}, validation {n_val}, test {n_test} (see data.split, "
            f"data.lookback, data.horizon)"
        )
    split_rows = {
        "train": (0, n_train),
        "validation": (n_train, n_train + n_val),
        "test": (n_train + n_val, n),
    }
    fit_rows = slice(transform.lost_rows, n_train)  # training rows only: nothing leaks back
    feature_scaler = Scaler.fit(config.scaling, feature_values[fit_rows])
    target_scaler = Scaler.fit(config.scaling, transformed[fit_rows, None])
    scaled_x = feature_scaler.transform(feature_values)
    scaled_y = target_scaler.transform(transformed[:, None])[:, 0]
    splits = {s: _windows(scaled_x, scaled_y, split_rows[s], lookback, horizon,
                          transform.lost_rows) for s in SPLITS}
    return ForecastData(
        source=str(path), target=target, features=features, lookback=lookback, horizon=horizon,
        splits=splits, split_rows=split_rows, feature_scaler=feature_scaler,
        target_scaler=target_scaler, transform=transform, time_values=time_values,
        season=DATASETS[name].season if name else None, series=target_values,
    )
