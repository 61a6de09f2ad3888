"""``task: classify`` with ``data.label_from``: classes built from a series by a forward window and
a threshold (the up / flat / down labelling of limit-order-book papers: DeepLOB, LOBCAST).

Row t of the series gets the move l_t = (m+ - m-) / m- (or m+ - m- with ``change:
difference``), m+ the mean of the ``horizon`` rows after t and m- the mean of the ``horizon``
rows ending at t (``reference: past_mean``) or the value at t (``last``); its class is up where
l_t > threshold, down where l_t < -threshold, else flat. The example of row t is the window of
``lookback`` rows ending at t, so the model reads only what is known at t.

The rows are split in time order (train, validation, test). A split's last ``horizon`` rows
label no window: their forward mean would read the next split's rows, so this gap keeps every
label inside its own split. A window's inputs may reach back into the rows before its split,
which is history a trader has. Scaling is fitted on the training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lstm_automl.baselines.forward_move import last_move_classes, window_ridge_classifier
from lstm_automl.config.builtin import DATASETS, builtin_name, datasets_dir
from lstm_automl.config.names import base_metric
from lstm_automl.config.schema import (
    FORWARD_CLASSES,
    ClassifyDataConfig,
    FeatureChoice,
    IntChoice,
    IntRange,
    LabelFromConfig,
)
from lstm_automl.data.base import SPLITS, Baselines, ModelShape, SweepData, Windows, output_prior
from lstm_automl.data.forecast import time_order
from lstm_automl.data.metrics import classification_metrics, one_hot_probabilities
from lstm_automl.data.scaling import Scaler
from lstm_automl.data.table import fill_missing, read_table
from lstm_automl.errors import DataError

NO_CLASS = -1  # a row without a move: too early for m-, or too late for m+
DEFAULT_VERDICT = "macro_f1"
RARE_SHARE = 0.10  # a training class below this share is noted as imbalanced


class NonPositiveReference(ValueError):
    """``change: relative`` met m- <= 0 at ``row`` (a position in time order)."""

    def __init__(self, row: int, value: float) -> None:
        super().__init__(f"m- is {value:g} at row {row}")
        self.row, self.value = row, value


def verdict_metric(objective: str | None) -> str:
    """The test metric the verdict compares: accuracy where the objective is accuracy, else
    macro-F1. On a mostly flat series the majority class scores a high accuracy and calls no
    move, which is why LOBCAST ranks models by F1; both are logged either way."""
    return "accuracy" if objective and base_metric(objective) == "accuracy" else DEFAULT_VERDICT


def forward_moves(values: np.ndarray, horizon: int, reference: str,
                  change: str) -> tuple[np.ndarray, np.ndarray]:
    """(rows t that have a move, the move l_t of each), for a series in time order."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    first = horizon - 1 if reference == "past_mean" else 0
    rows = np.arange(first, n - horizon)
    if not len(rows):
        return rows, np.zeros(0)
    means = sliding_window_view(values, horizon).mean(axis=1)  # means[i]: rows i .. i+h-1
    future = means[rows + 1]
    past = means[rows - horizon + 1] if reference == "past_mean" else values[rows]
    if change == "difference":
        return rows, future - past
    bad = np.flatnonzero(past <= 0)
    if len(bad):
        raise NonPositiveReference(int(rows[bad[0]]), float(past[bad[0]]))
    return rows, (future - past) / past


def forward_classes(values: np.ndarray, horizon: int, threshold: float,
                    reference: str = "past_mean", change: str = "relative") -> np.ndarray:
    """The class code of every row (0 down, 1 flat, 2 up; ``NO_CLASS`` where no move is
    defined)."""
    codes = np.full(len(values), NO_CLASS, dtype=np.int64)
    rows, moves = forward_moves(values, horizon, reference, change)
    codes[rows] = np.where(moves > threshold, 2, np.where(moves < -threshold, 0, 1))
    return codes


def labelled_rows(codes: np.ndarray, bounds: tuple[int, int], lookback: int,
                  horizon: int) -> np.ndarray:
    """The rows t of one split (``bounds``: its rows [start, stop)) that label a window: a full
    window of ``lookback`` rows ends at t, a move is defined, and t + horizon stays inside the
    split (the gap)."""
    start, stop = bounds
    rows = np.arange(max(start, lookback - 1), stop - horizon)
    return rows[codes[rows] != NO_CLASS] if len(rows) else rows


@dataclass
class ForwardLabelData(SweepData):
    """Windows of a series, each with the class of the forward move after its last row."""

    source: str
    splits: dict[str, Windows]
    settings: LabelFromConfig
    features: list[str]
    columns: dict[str, np.ndarray] = field(repr=False)  # raw values in time order
    codes: np.ndarray = field(repr=False)  # class code of every row
    split_rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    scaler: Scaler | None = None
    scaled: np.ndarray | None = field(default=None, repr=False)  # rows x features
    time_column: str | None = None
    time_values: list[str] | None = field(default=None, repr=False)
    time_freq: str | None = None
    class_weight: str = "none"
    seed: int = 0
    verdict: str = DEFAULT_VERDICT  # verdict_metric of the sweep's objective
    task: str = "classify"
    classes: list[str] = field(default_factory=lambda: list(FORWARD_CLASSES))

    forward_labels = True  # serving/model_saving.py: serve a series' history, not sequences
    positions = 0  # what serving reads of a classify task: one label per example
    binary = False  # always a softmax over down, flat, up
    masked = False

    def __post_init__(self) -> None:
        self.primary_metric = self.verdict
        self.higher_is_better = True

    @property
    def lookback(self) -> int:
        return int(self.settings.lookback)  # type: ignore[arg-type]

    @property
    def horizon(self) -> int:
        return int(self.settings.horizon)  # type: ignore[arg-type]

    @property
    def steps(self) -> int:
        return self.lookback

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def channels(self) -> list[str]:
        return self.features

    def model_shape(self, refit: bool = False) -> ModelShape:
        return ModelShape(self.lookback, self.n_features, len(self.classes), "classify",
                          output_prior=output_prior("classify", self.training_targets(refit),
                                                    len(self.classes)))

    def evaluate(self, predicted: np.ndarray) -> dict[str, float]:
        return classification_metrics(self.splits["test"].y, predicted)

    def counts(self, split: str) -> np.ndarray:
        return np.bincount(self.splits[split].y, minlength=len(self.classes))

    def _compute_baselines(self, budget_s: float) -> Baselines:
        """The most frequent class, the class of the last move already seen, and a ridge
        classifier on the window; fitted on the training and validation windows, scored on the
        test windows."""
        train, val, test = (self.splits[s] for s in SPLITS)
        classes = len(self.classes)
        pool = np.concatenate([train.y, val.y])
        prior = (np.bincount(pool, minlength=classes) + 1e-9) / len(pool)
        majority = int(prior.argmax())
        metrics = {"majority": classification_metrics(test.y, np.tile(prior, (len(test.y), 1)))}
        labels = {"majority": f"most frequent class ({self.classes[majority]})"}
        last = last_move_classes(self.codes, test.index, self.horizon, majority)
        metrics["last_move"] = classification_metrics(test.y, one_hot_probabilities(last,
                                                                                  classes))
        labels["last_move"] = (f"the class of the last move already seen (row t - {self.horizon}"
                               f", whose forward window ends at t)")
        predicted, label = window_ridge_classifier(train.x, train.y, val.x, val.y, test.x,
                                                   classes)
        metrics["window_ridge"] = classification_metrics(test.y, one_hot_probabilities(
            predicted, classes))
        labels["window_ridge"] = label
        return Baselines(metrics, labels)

    def _time(self, row: int) -> str:
        return self.time_values[row] if self.time_values else str(row)

    def prediction_table(self, predicted: np.ndarray, forecast: np.ndarray | None = None,
                         ) -> tuple[list[str], list[list[Any]]]:
        test = self.splits["test"]
        header = [self.time_column or "row", "label", "predicted",
                  *(f"p_{c}" for c in self.classes)]
        rows = []
        for row, label, p in zip(test.index, test.y, np.asarray(predicted), strict=True):
            rows.append([self._time(int(row)), self.classes[int(label)],
                         self.classes[int(p.argmax())], *(round(float(v), 6) for v in p)])
        return header, rows

    def balance(self, split: str) -> str:
        return ", ".join(f"{c}: {int(n)}" for c, n in zip(self.classes, self.counts(split),
                                                          strict=True))

    def preview(self, count: int = 3) -> list[str]:
        s = self.settings
        past = (f"the mean of the {self.horizon} rows ending at t" if s.reference == "past_mean"
                else "the value at t")
        lines = [f"labels: {s.change} move of the mean of the next {self.horizon} rows of "
                 f"'{s.column}' against {past}; up > {s.threshold:g}, down < -{s.threshold:g}"]
        for split in SPLITS:
            start, stop = self.split_rows[split]
            lines.append(f"{split}: rows {start}-{stop - 1}, {len(self.splits[split].y)} "
                         f"windows; classes {self.balance(split)}")
        train = self.splits["train"]
        for i in range(min(count, len(train.y))):
            row = int(train.index[i])
            tail = ", ".join(f"{v:g}" for v in self.columns[s.column][max(0, row - 3):row + 1])
            lines.append(f"train window ending at {self._time(row)}: ... {tail} -> "
                         f"{self.classes[int(train.y[i])]}")
        return lines

    def describe(self) -> str:
        sizes = " / ".join(f"{name} {len(w.x)}" for name, w in self.splits.items())
        return (f"{self.source}; windows {sizes} (lookback {self.lookback}, classes of the move "
                f"over the next {self.horizon} rows of {self.settings.column}: "
                f"{', '.join(self.classes)})")

    def summary(self) -> dict[str, object]:
        facts: dict[str, object] = {
            "source": self.source, "task": "classify", "label_from": self.settings.column,
            "features": ",".join(self.features), "lookback": self.lookback,
            "horizon": self.horizon, "threshold": self.settings.threshold,
            "reference": self.settings.reference, "change": self.settings.change,
            "classes": ",".join(self.classes),
        }
        for name in SPLITS:
            facts[f"{name}_windows"] = len(self.splits[name].y)
            facts[f"{name}_class_counts"] = ",".join(
                f"{c}:{int(n)}" for c, n in zip(self.classes, self.counts(name), strict=True))
        return facts

    def fit_kwargs(self) -> dict[str, Any]:
        if self.class_weight != "balanced":
            return {}
        counts = self.counts("train")
        total = counts.sum()
        return {"class_weight": {i: float(total / (len(counts) * c)) if c else 0.0
                                 for i, c in enumerate(counts)}}

    def label_notes(self) -> list[str]:
        """A note where a class is rare in training: accuracy then flatters the majority."""
        counts = self.counts("train")
        shares = counts / counts.sum()
        if shares.min() >= RARE_SHARE:
            return []
        parts = ", ".join(f"{c} {100 * v:.0f}%" for c, v in zip(self.classes, shares,
                                                               strict=True))
        return [f"data.label_from: the training classes are imbalanced ({parts}; lookback "
                f"{self.lookback}, horizon {self.horizon}); the verdict compares {self.verdict}, "
                f"and class_weight: balanced or another threshold may help"]


def _values(settings: LabelFromConfig, config: ClassifyDataConfig,
            base_dir: Path) -> tuple[str, dict[str, np.ndarray], list[str], Any, str | None]:
    """(source, raw columns in time order, feature names, time index, time column)."""
    name = builtin_name(config.source)
    if name is not None:
        if name not in DATASETS:
            raise DataError(f"data.source: data.label_from reads a series; builtin:{name} is not "
                            f"one (series: {', '.join('builtin:' + n for n in DATASETS)})")
        path = datasets_dir() / DATASETS[name].file
        time_column = config.time_column or DATASETS[name].time_column
    else:
        path = Path(config.source) if Path(config.source).is_absolute() else \
            base_dir / config.source
        time_column = config.time_column
    table = read_table(path)
    features = config.features
    assert not isinstance(features, FeatureChoice), "searched: use config.variant()"
    names = list(features or [settings.column])
    order, times = time_order(table, time_column, None)
    columns = {}
    for column, key in ((settings.column, "data.label_from.column"),
                        *((c, "data.features") for c in names)):
        raw = table.numeric(column, key, allow_missing=config.fill != "none")[order]
        columns[column] = fill_missing(raw, config.fill, path, column)
    source = config.source if name is not None else str(path)
    return source, columns, names, times, time_column


def _split_sizes(config: ClassifyDataConfig, n: int, times: Any, path: str) -> tuple[int, ...]:
    """(train, validation, test) rows from counts, fractions or (with times) time values; the
    test part defaults to a shipped series' published holdout, else 0.15."""
    def rows(part: Any, key: str, before: int) -> int:
        if isinstance(part, str):
            found = times.first_at_or_after(part) if times is not None else None
            if found is None:
                raise DataError(f"{path}: {key}: '{part}' is not a time of the series (set "
                                f"data.time_column, or give a count or fraction)")
            return before - int(found)
        return int(part) if isinstance(part, int) else int(round(part * n))

    name = builtin_name(config.source)
    default = DATASETS[name].test if name in DATASETS else 0.15
    test = rows(config.split.test if config.split.test is not None else default,
                "data.split.test", n)
    val = rows(config.split.validation, "data.split.validation", n - test)
    return n - val - test, val, test


def prepare_forward_labels(config: ClassifyDataConfig, base_dir: Path, seed: int = 0,
                           objective: str | None = None) -> ForwardLabelData:
    """Load a series, label every row by its forward move, split in time order with a gap of
    ``horizon`` rows, scale on the training rows and cut the windows; DataError on bad data.
    ``objective``: the sweep's, which says the verdict's metric (``verdict_metric``)."""
    settings = config.label_from
    assert settings is not None
    lookback, horizon, scaling = settings.lookback, settings.horizon, config.scaling
    assert not isinstance(lookback, (IntChoice, IntRange)) and not isinstance(
        horizon, (IntChoice, IntRange)) and isinstance(scaling, str), "use config.variant()"
    source, columns, features, times, time_column = _values(settings, config, base_dir)
    series = columns[settings.column]
    where = f"{source}: data.label_from"
    try:
        codes = forward_classes(series, horizon, settings.threshold, settings.reference,
                                settings.change)
    except NonPositiveReference as bad:
        label = times.labels[bad.row] if times is not None else f"row {bad.row + 1}"
        raise DataError(f"{where}: change: relative divides by m-, which is {bad.value:g} at "
                        f"{label} of '{settings.column}'; use change: difference for a series "
                        f"that reaches 0") from None
    n = len(series)
    sizes = _split_sizes(config, n, times, source)
    bounds = dict(zip(SPLITS, ((0, sizes[0]), (sizes[0], sizes[0] + sizes[1]),
                               (sizes[0] + sizes[1], n)), strict=True))
    rows = {s: labelled_rows(codes, bounds[s], lookback, horizon) for s in SPLITS}
    empty = [s for s in SPLITS if not len(rows[s])]
    if empty:
        first = max(lookback - 1, horizon - 1 if settings.reference == "past_mean" else 0)
        raise DataError(
            f"{where}: {n} rows are too few for lookback {lookback} + horizon {horizon}: the "
            f"split gives train {sizes[0]}, validation {sizes[1]}, test {sizes[2]} rows and "
            f"leaves no window in {', '.join(empty)} (each split needs more than horizon "
            f"{horizon} rows, training more than {first + horizon}; see data.split, "
            f"data.label_from.lookback, data.label_from.horizon)")
    train_counts = np.bincount(codes[rows["train"]], minlength=len(FORWARD_CLASSES))
    missing = [c for c, k in zip(FORWARD_CLASSES, train_counts, strict=True) if not k]
    if missing:
        hint = "raise" if "flat" in missing else "lower"
        raise DataError(
            f"{where}: no training window is '{', '.join(missing)}' (lookback {lookback}, "
            f"horizon {horizon}: " + ", ".join(f"{c} {int(k)}" for c, k in zip(
                FORWARD_CLASSES, train_counts, strict=True))
            + f"); every class needs training examples: {hint} data.label_from.threshold "
            f"({settings.threshold:g})")
    values = np.column_stack([columns[c] for c in features])
    scaler = Scaler.fit(scaling, values[:sizes[0]])
    scaled = scaler.transform(values).astype(np.float32)
    views = sliding_window_view(scaled, (lookback, len(features)))[:, 0]
    splits = {s: Windows(np.ascontiguousarray(views[r - lookback + 1]), codes[r].astype(np.int32),
                         r) for s, r in rows.items()}
    return ForwardLabelData(
        source=source, splits=splits, settings=settings, features=features, columns=columns,
        codes=codes, split_rows=bounds, scaler=scaler, scaled=scaled, time_column=time_column,
        time_values=times.labels if times is not None else None,
        time_freq=times.freq if times is not None else None,
        class_weight=config.class_weight, seed=seed, verdict=verdict_metric(objective))
