"""Whole-sequence tasks: classification (one label per sequence) and regression (one number).

Cases are split (stratified for classes, seeded), scaled per channel on the training split only,
and padded after their end when lengths differ; the model then masks the padding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lstm_automl.baselines.dtw import dtw_1nn
from lstm_automl.baselines.linear import linear_sequence_regression
from lstm_automl.config.names import higher_is_better
from lstm_automl.config.schema import ClassifyDataConfig, RegressDataConfig
from lstm_automl.data.base import (
    SPLITS,
    Baselines,
    ModelShape,
    SweepData,
    Windows,
    output_prior,
)
from lstm_automl.data.cases import CaseSet, SequenceConfig, load_cases
from lstm_automl.data.metrics import (
    classification_metrics,
    nearest_neighbour,
    one_hot_probabilities,
    regression_metrics,
)
from lstm_automl.data.scaling import Scaler
from lstm_automl.data.sequence_windows import cut_all
from lstm_automl.errors import DataError

PAD_VALUE = 0.0  # padding after the end of shorter sequences; Masking skips these steps


@dataclass
class SequenceData(SweepData):
    """Prepared cases of a classification or regression sweep."""

    task: str
    source: str
    splits: dict[str, Windows]
    steps: int  # the padded length
    n_features: int
    channels: list[str]
    classes: list[str] = field(default_factory=list)
    positions: int = 0  # > 0: one label per position (the copy task)
    raw: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)
    raw_labels: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    target_scaler: Scaler | None = None
    class_weight: str = "none"
    lengths: tuple[int, int] = (0, 0)
    masked: bool = False  # lengths differ: padded after the end, masked in the model
    scaler: Scaler | None = None  # per channel, fitted on the training cases
    case_column: str | None = None
    time_column: str | None = None
    label_name: str | None = None

    def __post_init__(self) -> None:
        self.primary_metric = "accuracy" if self.task == "classify" else "rmse"
        self.higher_is_better = higher_is_better(self.primary_metric)

    @property
    def binary(self) -> bool:
        return self.task == "classify" and len(self.classes) == 2 and not self.positions

    def model_shape(self, refit: bool = False) -> ModelShape:
        outputs = 1 if self.task == "regress" or self.binary else len(self.classes)
        return ModelShape(self.steps, self.n_features, outputs, self.task, self.masked,
                          positions=self.positions,
                          output_prior=output_prior(self.task, self.training_targets(refit),
                                                    outputs))

    def _labels(self, split: str) -> np.ndarray:
        return self.raw_labels[split]

    def probabilities(self, predicted: np.ndarray) -> np.ndarray:
        """Model outputs as class probabilities (n, classes) or (n, positions, classes)."""
        predicted = np.asarray(predicted, dtype=np.float64)
        if self.binary:
            p = predicted.reshape(-1)
            return np.stack([1.0 - p, p], axis=1)
        return predicted

    def evaluate(self, predicted: np.ndarray) -> dict[str, float]:
        if self.task == "classify":
            return classification_metrics(self._labels("test"), self.probabilities(predicted))
        assert self.target_scaler is not None
        values = self.target_scaler.inverse(np.asarray(predicted).reshape(-1, 1))[:, 0]
        return regression_metrics(self._labels("test").astype(float), values)

    def _compute_baselines(self, budget_s: float) -> Baselines:
        """Majority, 1-NN Euclidean and 1-NN DTW (window learned by leave-one-out, as the UCR
        archive does) for classes; the mean and a ridge model on the sequence for numbers. All
        fitted on the training and validation cases, scored on the test cases."""
        pool = np.concatenate([self._labels("train"), self._labels("validation")])
        test = self._labels("test")
        cases = self.raw["train"] + self.raw["validation"]
        if self.task == "regress":
            mean = float(pool.astype(float).mean())
            metrics = {"mean": regression_metrics(test.astype(float), np.full(len(test), mean))}
            predicted, label = linear_sequence_regression(cases, pool.astype(float),
                                                          self.raw["test"])
            metrics["linear"] = regression_metrics(test.astype(float), predicted)
            return Baselines(metrics, {"mean": "mean of the training targets", "linear": label})
        classes = len(self.classes)
        counts = np.bincount(pool.reshape(-1), minlength=classes).astype(float)
        prior = (counts + 1e-9) / counts.sum()
        if self.positions:  # the guess is the most frequent symbol of each position
            priors = [np.bincount(pool[:, k], minlength=classes) + 1e-9
                      for k in range(self.positions)]
            probs = np.stack([p / p.sum() for p in priors])[None].repeat(len(test), axis=0)
            return Baselines({"majority": classification_metrics(test.reshape(-1), probs)},
                             {"majority": "most frequent symbol of each position"})
        metrics = {"majority": classification_metrics(test, np.tile(prior, (len(test), 1)))}
        labels = {"majority": "most frequent class"}
        notes: list[str] = []
        if not self.masked:
            predicted = nearest_neighbour(np.stack(cases), pool, np.stack(self.raw["test"]))
            metrics["1nn_euclidean"] = classification_metrics(
                test, one_hot_probabilities(predicted, classes))
            labels["1nn_euclidean"] = "1-NN, Euclidean distance"
        dtw = dtw_1nn(cases, pool, self.raw["test"], budget_s=budget_s)
        metrics[dtw.name] = classification_metrics(test, one_hot_probabilities(dtw.predicted,
                                                                               classes))
        labels[dtw.name] = dtw.label
        notes.extend(dtw.notes)
        return Baselines(metrics, labels, notes)

    def prediction_table(self, predicted: np.ndarray, forecast: np.ndarray | None = None,
                         ) -> tuple[list[str], list[list[Any]]]:
        test = self.splits["test"]
        labels = self._labels("test")
        if self.task == "regress":
            assert self.target_scaler is not None
            values = self.target_scaler.inverse(np.asarray(predicted).reshape(-1, 1))[:, 0]
            return ["case", "actual", "predicted"], [
                [int(c), float(a), float(p)] for c, a, p in zip(test.index, labels, values,
                                                               strict=True)]
        probs = self.probabilities(predicted)
        if self.positions:
            guess = probs.argmax(axis=-1)
            header = ["case", *(f"label_{k}" for k in range(self.positions)),
                      *(f"predicted_{k}" for k in range(self.positions))]
            return header, [[int(c), *map(int, lab), *map(int, g)]
                            for c, lab, g in zip(test.index, labels, guess, strict=True)]
        header = ["case", "label", "predicted", *(f"p_{name}" for name in self.classes)]
        rows = []
        for case, label, p in zip(test.index, labels, probs, strict=True):
            rows.append([int(case), self.classes[int(label)], self.classes[int(p.argmax())],
                         *(round(float(v), 6) for v in p)])
        return header, rows

    def preview(self, count: int = 3) -> list[str]:
        lines = []
        for split in SPLITS:
            labels = self._labels(split)
            if self.task == "classify" and not self.positions:
                counts = np.bincount(labels.astype(int), minlength=len(self.classes))
                balance = ", ".join(f"{c}: {int(n)}" for c, n in zip(self.classes, counts,
                                                                      strict=True))
                lines.append(f"{split}: {len(labels)} sequences; classes {balance}")
            else:
                lines.append(f"{split}: {len(labels)} sequences")
        for i, case in enumerate(self.raw["train"][:count]):
            label = self._labels("train")[i]
            shown = self.classes[int(label)] if self.task == "classify" and not self.positions \
                else label
            head = ", ".join(f"{v:g}" for v in case[:4, 0])
            lines.append(f"train case {i}: {len(case)} steps x {case.shape[1]} channels, first "
                         f"values of channel {self.channels[0]}: {head} ... -> {shown}")
        return lines

    def fit_kwargs(self) -> dict[str, Any]:
        if self.class_weight != "balanced" or self.task != "classify" or self.positions:
            return {}
        labels = self._labels("train")
        counts = np.bincount(labels, minlength=len(self.classes))
        total = counts.sum()
        return {"class_weight": {i: float(total / (len(counts) * c)) if c else 0.0
                                 for i, c in enumerate(counts)}}

    def describe(self) -> str:
        sizes = " / ".join(f"{name} {len(w.x)}" for name, w in self.splits.items())
        shape = (f"length {self.steps}" if not self.masked else
                 f"lengths {self.lengths[0]}-{self.lengths[1]}, padded and masked")
        kind = f"{len(self.classes)} classes" if self.task == "classify" else "regression"
        return f"{self.source}; sequences {sizes} ({shape}, {self.n_features} channels, {kind})"

    def summary(self) -> dict[str, object]:
        facts: dict[str, object] = {
            "source": self.source, "task": self.task, "channels": ",".join(self.channels),
            "length_min": self.lengths[0], "length_max": self.lengths[1],
            "masked": self.masked,
        }
        for name in SPLITS:
            facts[f"{name}_sequences"] = len(self.splits[name].x)
        if self.task == "classify" and not self.positions:
            counts = np.bincount(self._labels("train"), minlength=len(self.classes))
            facts["classes"] = ",".join(self.classes)
            facts["train_class_counts"] = ",".join(
                f"{c}:{int(n)}" for c, n in zip(self.classes, counts, strict=True))
        return facts


def encode_labels(cases: CaseSet, path: str) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """(class names, encoded labels, encoded test labels); a class with one example or a test
    label unseen in training is refused."""
    labels = cases.labels
    if labels.ndim == 2:  # one label per position (copy task): already integers
        classes = sorted({int(v) for v in labels.reshape(-1)})
        names = [str(c) for c in range(max(classes) + 1)]
        test = cases.test_labels.astype(int) if cases.test_labels is not None else None
        return names, labels.astype(int), test
    texts = [str(v) for v in labels]
    unique = sorted_classes(set(texts))
    index = {name: i for i, name in enumerate(unique)}
    encoded = np.array([index[t] for t in texts])
    test_encoded = None
    if cases.test_labels is not None:
        unknown = sorted({str(v) for v in cases.test_labels} - set(index))
        if unknown:
            raise DataError(f"{path}: test labels {', '.join(unknown)} never occur in training")
        test_encoded = np.array([index[str(v)] for v in cases.test_labels])
    counts = np.bincount(encoded, minlength=len(unique))
    for name, count in zip(unique, counts, strict=True):
        if count < 2:
            raise DataError(f"{path}: class '{name}' has only {count} example; each class needs "
                            f"at least 2 (for training and validation)")
    if len(unique) < 2:
        raise DataError(f"{path}: only one class ('{unique[0]}'); classification needs two")
    return unique, encoded, test_encoded


def sorted_classes(labels: Iterable[str]) -> list[str]:
    """Class names in a stable order: numbers by value first, then text alphabetically."""
    return sorted(labels, key=lambda t: (float(t), t) if _is_number(t) else (np.inf, t))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _take(part: int | float, n: int) -> float:
    return part / n if isinstance(part, int) else part


def split_indices(labels: np.ndarray | None, n: int, part: int | float | str,
                  rng: np.random.Generator, what: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    """(kept, taken) indices; stratified by class when ``labels`` is given."""
    if isinstance(part, str):
        raise DataError(f"{path}: data.split.{what}: a time value splits forecasting data only; "
                        f"give a count or a fraction of the sequences")
    fraction = _take(part, n)
    if not 0 < fraction < 1:
        raise DataError(f"{path}: data.split.{what} takes {part} of {n} sequences; it must "
                        f"leave some for training")
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c)
                                                     for c in np.unique(labels)]
    taken: list[int] = []
    for group in groups:
        shuffled = rng.permutation(group)
        count = int(round(fraction * len(group)))
        count = min(max(count, 1), len(group) - 1) if len(group) > 1 else 0
        taken.extend(shuffled[:count].tolist())
    taken_set = set(taken)
    kept = np.array([i for i in range(n) if i not in taken_set])
    return kept, np.array(sorted(taken_set), dtype=int)


def prepare_sequences(config: SequenceConfig, base_dir: Path, seed: int) -> SequenceData:
    """Load, split, scale and pad a classification or regression dataset; with ``data.window``
    cut every split's sequences into windows after the split."""
    cases = load_cases(config, base_dir, seed)
    classify = isinstance(config, ClassifyDataConfig)
    rng = np.random.default_rng(seed)
    if classify:
        classes, labels, test_labels = encode_labels(cases, cases.source)
    else:
        classes, labels = [], numeric_targets(cases.labels, cases.source)
        test_labels = (numeric_targets(cases.test_labels, cases.source)
                       if cases.test_labels is not None else None)
    strata = labels if classify and labels.ndim == 1 else None
    n = len(cases.cases)
    if cases.test_cases is not None and config.split.test is None:
        pool_idx, test_idx = np.arange(n), None
    else:
        pool_idx, test_idx = split_indices(strata, n, config.split.test or 0.15, rng, "test",
                                           cases.source)
    pool_strata = strata[pool_idx] if strata is not None else None
    keep, val = split_indices(pool_strata, len(pool_idx), config.split.validation, rng,
                              "validation", cases.source)
    index = {"train": pool_idx[keep], "validation": pool_idx[val]}
    raw = {name: [cases.cases[i] for i in rows] for name, rows in index.items()}
    raw_labels = {name: labels[rows] for name, rows in index.items()}
    if test_idx is None:
        assert cases.test_cases is not None and test_labels is not None
        raw["test"], raw_labels["test"] = cases.test_cases, test_labels
        index["test"] = np.arange(len(cases.test_cases))
    else:
        raw["test"], raw_labels["test"] = [cases.cases[i] for i in test_idx], labels[test_idx]
        index["test"] = test_idx
    if config.window is not None:
        assert isinstance(config.window, int), "use config.variant()"
        cut_all(raw, raw_labels, index, config.window, config.window_step, cases.source)
    return _assemble(config, cases, classes, raw, raw_labels, index)


def numeric_targets(values: np.ndarray, path: str) -> np.ndarray:
    """Regression targets as finite floats, or one line saying why not."""
    try:
        out = np.asarray(values, dtype=np.float64)
    except ValueError:
        raise DataError(f"{path}: regression targets must be numbers") from None
    if not np.all(np.isfinite(out)):
        raise DataError(f"{path}: regression targets contain NaN or infinite values")
    return out


def _assemble(config: SequenceConfig, cases: CaseSet, classes: list[str],
              raw: dict[str, list[np.ndarray]], raw_labels: dict[str, np.ndarray],
              index: dict[str, np.ndarray]) -> SequenceData:
    channels = cases.channels
    widths = {c.shape[1] for split in raw.values() for c in split}
    if widths != {len(channels)}:
        raise DataError(f"{cases.source}: sequences have different numbers of channels")
    assert isinstance(config.scaling, str), "searched: use config.variant()"
    scaler = Scaler.fit(config.scaling, np.concatenate(raw["train"], axis=0))
    lengths = [len(c) for split in raw.values() for c in split]
    steps = max(lengths)
    equal = min(lengths) == steps
    splits = {}
    target_scaler = None
    if isinstance(config, RegressDataConfig):
        target_scaler = Scaler.fit(config.scaling, raw_labels["train"].reshape(-1, 1))
    for name in SPLITS:
        x = np.full((len(raw[name]), steps, len(channels)), PAD_VALUE, dtype=np.float32)
        for i, case in enumerate(raw[name]):
            x[i, :len(case)] = scaler.transform(case)
        y = raw_labels[name]
        if target_scaler is not None:
            y = target_scaler.transform(y.reshape(-1, 1)).astype(np.float32)
        elif len(classes) == 2 and y.ndim == 1:
            y = y.reshape(-1, 1).astype(np.float32)
        splits[name] = Windows(x, y, index[name])
    positions = cases.labels.shape[1] if cases.labels.ndim == 2 else 0
    return SequenceData(
        task=config.task, source=cases.source, splits=splits, steps=steps, masked=not equal,
        n_features=len(channels), channels=channels, classes=classes, positions=positions,
        raw=raw, raw_labels=raw_labels, target_scaler=target_scaler,
        class_weight=getattr(config, "class_weight", "none"), lengths=(min(lengths), steps),
        scaler=scaler, case_column=cases.case_column, time_column=cases.time_column,
        label_name=cases.label_name,
    )
