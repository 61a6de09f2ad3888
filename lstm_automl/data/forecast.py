"""Forecasting data: order, split chronologically, scale on train, cut windows.

A window's targets always lie inside one split; its inputs may reach back into earlier rows,
which is history a forecaster has at that moment, never the future. ``data.target`` may name
several columns, forecast together (``data/targets.py`` has the output layout and metrics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lstm_automl.baselines.classical import classical_forecasts
from lstm_automl.baselines.transforms import TargetTransform
from lstm_automl.baselines.window_series import fit_on_windows
from lstm_automl.config.builtin import DATASETS, builtin_name, datasets_dir
from lstm_automl.config.names import did_you_mean
from lstm_automl.config.schema import FeatureChoice, ForecastDataConfig
from lstm_automl.data.backtest import BacktestFold, check_folds, fold_rows
from lstm_automl.data.base import (
    SPLITS,
    Baselines,
    ModelShape,
    SweepData,
    Windows,
    output_prior,
)
from lstm_automl.data.calendar import calendar_channels, channel_names, cycles_for, lagged
from lstm_automl.data.metrics import baseline_metrics, forecast_metrics
from lstm_automl.data.scaling import Scaler
from lstm_automl.data.table import Table, fill_missing, read_table
from lstm_automl.data.targets import flatten, split_targets, spreads, suffixes
from lstm_automl.data.time_index import TimeIndex, index_times
from lstm_automl.errors import DataError


@dataclass
class ForecastData(SweepData):
    """Everything a forecasting sweep needs from the data, computed once."""

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
    time_column: str | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # original units
    task: str = "forecast"
    primary_metric: str = "rmse"
    higher_is_better: bool = False
    # Rolling-origin backtesting (data.backtest): earliest first, the last is the ordinary split.
    folds: list[BacktestFold] = field(default_factory=list, repr=False)
    backtest_step: int | None = None
    # Every target column (``target`` is the first); one transform per target, all of one kind.
    targets: list[str] = field(default_factory=list)
    transforms: list[TargetTransform] = field(default_factory=list, repr=False)
    target_series: np.ndarray | None = field(default=None, repr=False)  # rows x targets
    target_spreads: np.ndarray | None = field(default=None, repr=False)  # training std each
    # The parsed time column (its frequency, format and parsed range), None without one.
    time_index: TimeIndex | None = field(default=None, repr=False)
    # Extra input channels after the features (data/calendar.py): the calendar cycles of each
    # row's next step, and the season of the seasonal-lag channel per target (0: none).
    calendar: list[str] = field(default_factory=list)
    seasonal_lag: int = 0

    def __post_init__(self) -> None:
        self.targets = self.targets or [self.target]
        self.transforms = self.transforms or [self.transform]
        if self.target_series is None:
            self.target_series = np.asarray(self.series)[:, None]

    @property
    def extra_channels(self) -> list[str]:
        """The input channels after ``features``: seasonal lags, then calendar sin/cos."""
        lags = [f"{t}_lag{self.seasonal_lag}" for t in self.targets] if self.seasonal_lag else []
        return [*lags, *channel_names(self.calendar)]

    @property
    def n_features(self) -> int:
        return len(self.features) + len(self.extra_channels)

    @property
    def several(self) -> bool:
        """More than one target column: metrics get per-target keys and a unitless headline."""
        return len(self.targets) > 1

    @property
    def metric_suffixes(self) -> list[str]:
        return suffixes(self.targets, self.source)

    def inverse_target(self, y_scaled: np.ndarray,
                       target_rows: np.ndarray | None = None) -> np.ndarray:
        """Scaled (and transformed) predictions or targets back to original units.

        ``target_rows`` (each window's first target row) is needed when the target is
        differenced: the forecast is rebuilt from the last observed level before that row.
        """
        if self.several:
            scaler = self.target_scaler
            return np.concatenate([
                _inverse(block * scaler.scale[j] + scaler.offset[j], transform, target_rows)
                for j, (block, transform) in enumerate(zip(
                    split_targets(y_scaled, len(self.targets)), self.transforms, strict=True))
            ], axis=1)
        unscaled = y_scaled * self.target_scaler.scale[0] + self.target_scaler.offset[0]
        return _inverse(unscaled, self.transform, target_rows)

    def model_shape(self, refit: bool = False) -> ModelShape:
        """The target's input channel is scaled exactly as the outputs (``_Shaped.windows``
        fits both scalers on the same transformed values), so the model may add its level
        back to the forecast, or a classical model's forecast of it (``residual: ar``, ``ets``,
        ``arima``; ``fit_classical`` fits those on first use)."""
        channel = self.features.index(self.target) if self.target in self.features else None
        if self.several:  # window_norm, residual and recursive work on one target's channel
            channel = None
        return ModelShape(self.lookback, self.n_features, self.horizon * len(self.targets),
                          "forecast", target_channel=channel, season=self.season,
                          n_targets=len(self.targets),
                          fit_classical=None if channel is None else partial(
                              self._window_classical, channel, refit),
                          output_prior=output_prior("forecast", self.training_targets(refit),
                                                    self.horizon * len(self.targets)))

    def _window_classical(self, channel: int, refit: bool,
                          kind: str) -> tuple[float, ...] | None:
        """The classical model behind ``residual: kind`` (``ar``, ``ets``, ``arima``), fitted on
        first use on the training windows (train + validation for a refit), then kept: every
        trial starts from the same model."""
        train, val = self.splits["train"], self.splits["validation"]
        parts = [train, val] if refit and len(val.x) else [train]
        key = (kind, channel, *(id(part.x) for part in parts))
        cache = self.__dict__.setdefault("_classical_fits", {})
        if key not in cache:
            cache[key] = fit_on_windows(kind, parts, channel, self.season, self.lookback)
        return cache[key]

    def actual(self, split: str = "test") -> np.ndarray:
        """The true future values of each window of ``split``, original units."""
        rows = self.splits[split].index
        if self.several:  # target-major, as the model's outputs
            assert self.target_series is not None
            future = self.target_series[rows[:, None] + np.arange(self.horizon)]
            return np.concatenate([future[:, :, j] for j in range(len(self.targets))], axis=1)
        return self.series[rows[:, None] + np.arange(self.horizon)]

    def evaluate(self, predicted: np.ndarray) -> dict[str, float]:
        test = self.splits["test"]
        forecast = self.inverse_target(predicted, test.index)
        if not self.several:
            return forecast_metrics(self.actual(), forecast)
        n = len(self.targets)
        per_target = {
            suffix: forecast_metrics(actual, predicted_block)
            for suffix, actual, predicted_block in zip(
                self.metric_suffixes, split_targets(self.actual(), n),
                split_targets(forecast, n), strict=True)}
        assert self.target_spreads is not None
        return flatten(per_target, self.metric_suffixes, self.target_spreads)

    def _compute_baselines(self, budget_s: float) -> Baselines:
        """Naive and seasonal naive, plus the classical entries (``classical.ENTRIES``: AR, ETS,
        SARIMA and their variants) fitted on every row before the test split and forecasting
        each test window from its own origin, as the model is scored."""
        if self.several:
            return self._baselines_per_target(budget_s)
        rows, actual = self.splits["test"].index, self.actual()
        metrics = baseline_metrics(self.series, rows, actual, self.horizon, self.season)
        labels = {"naive": "last value", "seasonal_naive": f"value one season ({self.season}) "
                  "earlier"}
        fitted, notes = classical_forecasts(
            self.series, self.split_rows["test"][0], rows, self.horizon, self.season,
            budget_s=budget_s, validation_start=self.split_rows["validation"][0],
            transform=self.transform.kind)
        for forecast in fitted:
            metrics[forecast.name] = forecast_metrics(actual, forecast.predictions)
            labels[forecast.name] = forecast.label
        return Baselines(metrics, {k: v for k, v in labels.items() if k in metrics}, notes,
                         forecasts={forecast.name: forecast for forecast in fitted})

    def _baselines_per_target(self, budget_s: float) -> Baselines:
        """Every baseline on each target's own series, on the same test windows; a baseline's
        headline only where it could be scored on every target. Labels say what was fitted
        to each target: ``ar/<target>``, and ``ar`` lists them all."""
        rows, n = self.splits["test"].index, len(self.targets)
        assert self.target_series is not None and self.target_spreads is not None
        per_name: dict[str, dict[str, dict[str, float]]] = {}
        labels: dict[str, dict[str, str]] = {}
        notes: list[str] = []
        for j, (target, suffix, actual) in enumerate(zip(
                self.targets, self.metric_suffixes, split_targets(self.actual(), n),
                strict=True)):
            series = self.target_series[:, j]
            for name, values in baseline_metrics(series, rows, actual, self.horizon,
                                                 self.season).items():
                per_name.setdefault(name, {})[suffix] = values
            fitted, target_notes = classical_forecasts(
                series, self.split_rows["test"][0], rows, self.horizon, self.season,
                budget_s=budget_s / n, validation_start=self.split_rows["validation"][0],
                transform=self.transforms[j].kind)
            notes.extend(f"{target}: {note}" for note in target_notes)
            for forecast in fitted:
                per_name.setdefault(forecast.name, {})[suffix] = forecast_metrics(
                    actual, forecast.predictions)
                labels.setdefault(forecast.name, {})[suffix] = forecast.label
        metrics = {name: flatten(values, self.metric_suffixes, self.target_spreads)
                   for name, values in per_name.items()}
        shown = {"naive": "last value",
                 "seasonal_naive": f"value one season ({self.season}) earlier"}
        flat: dict[str, str] = {k: v for k, v in shown.items() if k in metrics}
        for name, by_target in labels.items():
            flat[name] = "; ".join(f"{t}: {by_target[s]}" for t, s in zip(
                self.targets, self.metric_suffixes, strict=True) if s in by_target)
            flat.update({f"{name}/{s}": label for s, label in by_target.items()})
        return Baselines(metrics, flat, notes)

    def prediction_table(self, predicted: np.ndarray, forecast: np.ndarray | None = None,
                         ) -> tuple[list[str], list[list[object]]]:
        """``forecast``: the served forecasts in original units (a blend's) instead of
        ``predicted``'s."""
        test = self.splits["test"]
        if forecast is None:
            forecast = self.inverse_target(predicted, test.index)
        actual = self.actual()
        steps = range(1, self.horizon + 1)
        names = [f"{t}_" for t in self.targets] if self.several else [""]
        header = ["row", "time", *(f"actual_{t}h{h}" for t in names for h in steps),
                  *(f"predicted_{t}h{h}" for t in names for h in steps)]
        rows = []
        for i, row in enumerate(test.index):
            time = self.time_values[row] if self.time_values else ""
            rows.append([int(row), time, *actual[i].tolist(), *forecast[i].tolist()])
        return header, rows

    def preview(self, count: int = 3) -> list[str]:
        lines = []
        for split in ("train", "test"):
            windows = self.splits[split]
            for i in range(min(count, len(windows.x))):
                row = int(windows.index[i])
                start = row - self.lookback
                when = (f"{self.time_values[start]}..{self.time_values[row - 1]} -> "
                        f"{self.time_values[row]}" if self.time_values else
                        f"rows {start}..{row - 1} -> {row}")
                lines.append(f"{split} window {i}: {when}: last inputs {self._shown(start, row)}"
                             f"original units; the model sees them {self.transform.kind}-"
                             f"transformed and {self.target_scaler.kind}-scaled)")
        return lines

    def _shown(self, start: int, row: int) -> str:
        """The last inputs and the future of each target: ``1, 2 -> target 3 (name,``."""
        assert self.target_series is not None
        parts = []
        for j in range(len(self.targets)):
            history = self.target_series[max(start, row - 4):row, j]
            future = self.target_series[row:row + self.horizon, j]
            parts.append(f"{', '.join(f'{v:g}' for v in history)} -> target "
                         f"{', '.join(f'{v:g}' for v in future)}")
        if not self.several:
            return f"{parts[0]} ({self.target}, "
        return "; ".join(f"{t}: {p}" for t, p in zip(self.targets, parts, strict=True)) + " ("

    def describe(self) -> str:
        sizes = " / ".join(f"{name} {len(w.x)}" for name, w in self.splits.items())
        return (f"{self.source}, {', '.join(self.targets)}; windows {sizes} (lookback "
                f"{self.lookback}, horizon {self.horizon})")

    def summary(self) -> dict[str, object]:
        """Flat facts for the CLI and the MLflow parent run."""
        facts: dict[str, object] = {
            "source": self.source, "target": ",".join(self.targets),
            "features": ",".join(self.features),
            "lookback": self.lookback, "horizon": self.horizon,
            "scaling": self.target_scaler.kind, "transform": self.transform.kind,
            "season": self.season,
        }
        if self.calendar:
            facts["calendar"] = ",".join(self.calendar)
        if self.seasonal_lag:
            facts["seasonal_lag"] = self.seasonal_lag
        if self.time_index is not None:
            facts["time"] = self.time_index.span()
            facts["frequency"] = self.time_index.frequency
        for name in SPLITS:
            start, stop = self.split_rows[name]
            facts[f"{name}_rows"] = stop - start
            facts[f"{name}_windows"] = len(self.splits[name].x)
            if self.time_values:
                facts[f"{name}_range"] = f"{self.time_values[start]}..{self.time_values[stop - 1]}"
        if self.folds:
            facts["backtest"] = f"{len(self.folds)} folds, step {self.backtest_step}"
        return facts

    def _span(self, rows: tuple[int, int]) -> str:
        start, stop = rows
        if self.time_values:
            return f"{self.time_values[start]}..{self.time_values[stop - 1]}"
        return f"rows {start}..{stop - 1}"

    def backtest_lines(self) -> list[str]:
        """One line per backtest fold: its training and validation ranges and window counts."""
        lines = []
        for fold in self.folds:
            last = " (the ordinary split)" if fold is self.folds[-1] else ""
            lines.append(f"backtest fold {fold.number}: train {self._span(fold.train_rows)} "
                         f"({len(fold.train.x)} windows), validation "
                         f"{self._span(fold.validation_rows)} ({len(fold.validation.x)} "
                         f"windows){last}")
        return lines


def _inverse(unscaled: np.ndarray, transform: TargetTransform,
             target_rows: np.ndarray | None) -> np.ndarray:
    return unscaled if transform.kind == "none" else transform.inverse(unscaled, target_rows)


def resolve_source(config: ForecastDataConfig,
                   base_dir: Path) -> tuple[Path, str | None, str | None]:
    """The file behind ``data.source`` (a shipped ``builtin:`` name or a path relative to the
    sweep file) with the shipped set's default target and time column (None for a path)."""
    name = builtin_name(config.source)
    if name is None:
        path = Path(config.source)
        return (path if path.is_absolute() else base_dir / path), None, None
    if name not in DATASETS:
        hint = did_you_mean(name, DATASETS, "builtin:") or ";"
        raise DataError(
            f"data.source: unknown builtin dataset '{name}'{hint} available: "
            f"{', '.join('builtin:' + n for n in DATASETS)}"
        )
    spec = DATASETS[name]
    return datasets_dir() / spec.file, spec.target, spec.time_column


def _count(part: int | float, n_rows: int) -> int:
    return int(part) if isinstance(part, int) else int(round(part * n_rows))


def time_order(table: Table, time_column: str | None,
               time_format: str | None) -> tuple[np.ndarray, TimeIndex | None]:
    """File rows in time order: times parsed as dates or numbers (never as text), each once,
    evenly spaced (data/time_index.py)."""
    if time_column is None:
        return np.arange(table.n_rows), None
    values = table.require(time_column, "data.time_column")
    index = index_times(values, where=str(table.path), column=time_column,
                        time_format=time_format, line=table.line)
    return index.order, index


def _windows(values: np.ndarray, target: np.ndarray, rows: tuple[int, int], lookback: int,
             horizon: int, lost_rows: int) -> Windows:
    start, stop = rows
    first = max(start, lookback + lost_rows)
    positions = np.arange(first, stop - horizon + 1)
    if not len(positions):
        return Windows(np.zeros((0, lookback, values.shape[1]), np.float32),
                       np.zeros((0, horizon * target.shape[1]), np.float32), positions)
    # One gather from strided views, in float32: no list of per-window arrays, no float64 copy
    # (a long series' windows are the largest arrays of a sweep).
    views = sliding_window_view(values.astype(np.float32), (lookback, values.shape[1]))
    x = views[positions - lookback, 0]
    # target rows x targets: each window's futures target-major (data/targets.py)
    futures = sliding_window_view(target.astype(np.float32), horizon, axis=0)  # n x targets x h
    y = futures[positions].reshape(len(positions), -1)
    return Windows(x, y, positions)


def _time_start(index: TimeIndex | None, value: str, key: str, path: Path) -> int:
    """First row whose time is at or after ``value`` (a date split), compared as times."""
    if index is None:
        raise DataError(f"{path}: {key}: '{value}' is a time value, but the data has no "
                        f"time column (set data.time_column)")
    try:
        row = index.first_at_or_after(value)
    except ValueError as exc:
        raise DataError(f"{path}: {key}: {exc}") from None
    if row is None:
        raise DataError(f"{path}: {key}: no row at or after '{value}' (last: "
                        f"{index.labels[-1]})")
    return row


def _split_sizes(config: ForecastDataConfig, name: str | None, n: int,
                 index: TimeIndex | None, path: Path) -> tuple[int, int, int]:
    """(train, validation, test) row counts, from counts, fractions or time values."""
    test_part = config.split.test if config.split.test is not None else (
        DATASETS[name].test if name else 0.15)
    if isinstance(test_part, str):
        n_test = n - _time_start(index, test_part, "data.split.test", path)
    else:
        n_test = _count(test_part, n)
    val_part = config.split.validation
    if isinstance(val_part, str):
        n_val = n - n_test - _time_start(index, val_part, "data.split.validation", path)
    else:
        n_val = _count(val_part, n)
    return n - n_val - n_test, n_val, n_test


def _fit_transform(config: ForecastDataConfig, target_values: np.ndarray, season: int | None,
                   table: Table, target: str, order: np.ndarray) -> TargetTransform:
    path = table.path
    kind = config.transform
    assert isinstance(kind, str), "a searched transform: prepare config.variant() instead"
    if kind.startswith("log") and np.any(target_values <= 0):
        row = int(np.argmax(target_values <= 0))
        raise DataError(f"{path}: column '{target}': data.transform '{config.transform}' needs "
                        f"values > 0, but row {table.line(int(order[row]))} is "
                        f"{target_values[row]:g}")
    if kind.endswith("seasonal_diff") and not season:
        raise DataError(f"{path}: data.transform '{config.transform}' needs a season length: "
                        f"set data.season (it could not be inferred from the time column)")
    return TargetTransform.fit(kind, target_values, season)


def prepare_forecast(config: ForecastDataConfig, base_dir: Path) -> ForecastData:
    """Load, order, split, scale and window a forecasting dataset; DataError on bad data."""
    path, default_target, default_time = resolve_source(config, base_dir)
    table = read_table(path)
    targets = _target_names(config.target, default_target, table)
    assert not isinstance(config.features, FeatureChoice), "searched: use config.variant()"
    features: list[str] = list(config.features or targets)
    order, times = time_order(table, config.time_column or default_time, config.time_format)
    columns: dict[str, np.ndarray] = {}
    for column, key in (*((t, "data.target") for t in targets),
                        *((c, "data.features") for c in features)):
        raw = table.numeric(column, key, allow_missing=config.fill != "none")[order]
        columns[column] = fill_missing(raw, config.fill, path, column)
    suffixes(targets, path)  # metric names must stay apart
    target_values = np.column_stack([columns[t] for t in targets])  # rows x targets
    feature_values = np.column_stack([columns[c] for c in features])
    name = builtin_name(config.source)
    season = config.season or (DATASETS[name].season if name else
                               times.season if times else None)
    transforms = [_fit_transform(config, columns[t], season, table, t, order) for t in targets]
    transform = transforms[0]
    transformed = np.column_stack([t.forward() for t in transforms])
    for index, column in enumerate(features):
        if column in targets:  # the model sees a target's history on the scale it predicts
            feature_values[:, index] = transformed[:, targets.index(column)]
    n = len(order)
    n_train, n_val, n_test = _split_sizes(config, name, n, times, path)
    lookback, horizon, scaling = config.lookback, config.horizon, config.scaling
    assert isinstance(lookback, int) and isinstance(scaling, str), "use config.variant()"
    cycles, calendar = _calendar(config, times, path)
    seasonal_lag = _seasonal_lag(config, season, path)
    needed = lookback + horizon + transform.lost_rows + seasonal_lag
    lag_text = f" + seasonal lag {seasonal_lag}" if seasonal_lag else ""
    if n_test < horizon or n_val < horizon or n_train < needed:
        raise DataError(
            f"{path}: {n} rows are too few: lookback {lookback} + horizon {horizon}{lag_text} "
            f"need at least {needed} training rows and {horizon} each for validation and test, "
            f"but the split gives train {n_train}, validation {n_val}, test {n_test} (see "
            f"data.split, data.lookback, data.horizon)"
        )
    split_rows = {
        "train": (0, n_train),
        "validation": (n_train, n_train + n_val),
        "test": (n_train + n_val, n),
    }
    shaped = _Shaped(scaling, feature_values, transformed, lookback, horizon,
                     transform.lost_rows, calendar, seasonal_lag)
    splits, feature_scaler, target_scaler = shaped.windows(n_train, split_rows)
    folds: list[BacktestFold] = []
    backtest = config.backtest
    if backtest is not None:
        check_folds(n_train, n_val, backtest.folds, backtest.step, needed,
                    f"lookback {lookback} + horizon {horizon}{lag_text}"
                    + (f" + {transform.lost_rows} rows lost to '{transform.kind}'"
                       if transform.lost_rows else ""))
        for number, (train_rows, val_rows) in enumerate(
                fold_rows(n_train, n_val, backtest.folds, backtest.step), start=1):
            if number == backtest.folds:  # the ordinary split: the very same windows
                parts, f_scaler, t_scaler = splits, feature_scaler, target_scaler
            else:
                parts, f_scaler, t_scaler = shaped.windows(
                    train_rows[1], {"train": train_rows, "validation": val_rows})
            folds.append(BacktestFold(number, train_rows, val_rows, parts["train"],
                                      parts["validation"], f_scaler, t_scaler))
    return ForecastData(
        source=config.source if builtin_name(config.source) else str(path), target=targets[0],
        features=features, lookback=lookback, horizon=horizon,
        splits=splits, split_rows=split_rows, feature_scaler=feature_scaler,
        target_scaler=target_scaler, transform=transform,
        time_values=times.labels if times else None, time_index=times,
        season=season, series=target_values[:, 0],
        time_column=config.time_column or default_time, columns=columns, folds=folds,
        backtest_step=(backtest.step or n_val) if backtest is not None else None,
        targets=targets, transforms=transforms, target_series=target_values,
        target_spreads=spreads(target_values, n_train), calendar=cycles,
        seasonal_lag=seasonal_lag,
    )


def _calendar(config: ForecastDataConfig, times: TimeIndex | None,
              path: Path) -> tuple[list[str], np.ndarray | None]:
    """(cycles, each row's calendar channels) for ``data.calendar``; DataError where the time
    column cannot give them."""
    if config.calendar == "none":
        return [], None
    where = f"{path}: data.calendar '{config.calendar}'"
    if times is None:
        raise DataError(f"{where} needs a time column of dates; set data.time_column (or "
                        f"data.calendar: none)")
    if times.kind != "date":
        raise DataError(f"{where} needs dates, but the time column holds numbers; set "
                        f"data.calendar: none")
    cycles = cycles_for(times.freq)
    if not cycles:
        raise DataError(f"{where}: {times.frequency or 'one row'} times have no calendar cycle "
                        f"to add; set data.calendar: none")
    assert times.freq is not None
    return cycles, calendar_channels(times.times, times.freq, cycles)


def _seasonal_lag(config: ForecastDataConfig, season: int | None, path: Path) -> int:
    if config.seasonal_lag == "none":
        return 0
    if not season:
        raise DataError(f"{path}: data.seasonal_lag '{config.seasonal_lag}' needs a season "
                        f"length: set data.season (it could not be inferred from the time "
                        f"column)")
    return int(season)


def _target_names(target: str | list[str] | None, default: str | None,
                  table: Table) -> list[str]:
    """The target columns: one name, a list (forecast together), or the builtin's."""
    names = [target] if isinstance(target, str) else list(target or [])
    if not names and default is not None:
        names = [default]
    if not names:
        raise DataError(f"{table.path}: data.target is required for a CSV source; columns: "
                        f"{', '.join(table.columns)}")
    return names


@dataclass
class _Shaped:
    """The transformed series of one dataset, ready to be scaled and windowed for any split."""

    scaling: str
    features: np.ndarray  # rows x features, the target columns already transformed
    target: np.ndarray  # the transformed targets, rows x targets
    lookback: int
    horizon: int
    lost_rows: int
    calendar: np.ndarray | None = None  # rows x calendar channels, already in [-1, 1]
    seasonal_lag: int = 0

    def windows(self, fit_stop: int, parts: dict[str, tuple[int, int]]
                ) -> tuple[dict[str, Windows], Scaler, Scaler]:
        """Scalers fitted on rows before ``fit_stop`` only (nothing leaks back), and the
        scaled windows of each named part."""
        fit_rows = slice(self.lost_rows, fit_stop)
        feature_scaler = Scaler.fit(self.scaling, self.features[fit_rows])
        target_scaler = Scaler.fit(self.scaling, self.target[fit_rows])  # each target alone
        scaled_x = feature_scaler.transform(self.features)
        scaled_y = target_scaler.transform(self.target)
        extra = [lagged(scaled_y, self.seasonal_lag)] if self.seasonal_lag else []
        if self.calendar is not None:  # never scaled: sin and cos are in [-1, 1] already
            extra.append(self.calendar)
        if extra:
            scaled_x = np.column_stack([scaled_x, *extra])
        windows = {name: _windows(scaled_x, scaled_y, rows, self.lookback, self.horizon,
                                  self.lost_rows + self.seasonal_lag)
                   for name, rows in parts.items()}
        return windows, feature_scaler, target_scaler
