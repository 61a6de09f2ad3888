"""``task: label``: one class per step of each sequence (an activity per time step, a tag per
position).

Cases are split (seeded, by case: no sequence is in two splits), scaled per channel on the
training split only, and padded after their end when lengths differ; a padded step's label is
``PAD_LABEL`` (-1), so the loss, the metrics and the baselines count only real steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lstm_automl.baselines.step_window import window_classifier
from lstm_automl.config.names import higher_is_better
from lstm_automl.config.schema import LabelDataConfig
from lstm_automl.data.base import (
    PAD_LABEL,
    SPLITS,
    Baselines,
    ModelShape,
    SweepData,
    Windows,
    output_prior,
)
from lstm_automl.data.metrics import classification_metrics, one_hot_probabilities
from lstm_automl.data.scaling import Scaler
from lstm_automl.data.sequences import PAD_VALUE, sorted_classes, split_indices
from lstm_automl.data.step_cases import StepCases, load_step_cases
from lstm_automl.errors import DataError


def step_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1 and log-loss over the real steps: ``labels`` (cases, steps) with
    ``PAD_LABEL`` on padded steps, ``probabilities`` (cases, steps, classes)."""
    real = np.asarray(labels) != PAD_LABEL
    return classification_metrics(np.asarray(labels)[real], np.asarray(probabilities)[real])


@dataclass
class StepLabelData(SweepData):
    """Prepared cases of a ``task: label`` sweep."""

    source: str
    splits: dict[str, Windows]
    steps: int  # the padded length
    n_features: int
    channels: list[str]
    classes: list[str]
    raw: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)
    raw_labels: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)
    lengths: tuple[int, int] = (0, 0)
    masked: bool = False
    scaler: Scaler | None = None
    case_column: str | None = None
    time_column: str | None = None
    label_name: str = "label"
    seed: int = 0
    task: str = "label"

    def __post_init__(self) -> None:
        self.primary_metric = "accuracy"
        self.higher_is_better = higher_is_better(self.primary_metric)

    positions = 0  # what serving reads of a sequence task (no fixed positions here)
    binary = False  # always a softmax per step

    def model_shape(self, refit: bool = False) -> ModelShape:
        return ModelShape(self.steps, self.n_features, len(self.classes), "label", self.masked,
                          output_prior=output_prior("label", self.training_targets(refit),
                                                    len(self.classes)))

    def evaluate(self, predicted: np.ndarray) -> dict[str, float]:
        return step_metrics(self.splits["test"].y, predicted)

    def _scaled(self, split: str) -> list[np.ndarray]:
        assert self.scaler is not None
        return [self.scaler.transform(c) for c in self.raw[split]]

    def _compute_baselines(self, budget_s: float) -> Baselines:
        """The most frequent class at every step, and a ridge classifier on a window of steps
        (``baselines/step_window.py``); fitted on training and validation steps, scored on
        the test steps."""
        classes = len(self.classes)
        pool = np.concatenate(self.raw_labels["train"] + self.raw_labels["validation"])
        prior = (np.bincount(pool, minlength=classes) + 1e-9) / len(pool)
        test = np.concatenate(self.raw_labels["test"])
        metrics = {"majority": classification_metrics(test, np.tile(prior, (len(test), 1)))}
        labels = {"majority": f"most frequent class at every step "
                              f"({self.classes[int(prior.argmax())]})"}
        predicted, label = window_classifier(
            self._scaled("train"), self.raw_labels["train"], self._scaled("validation"),
            self.raw_labels["validation"], self._scaled("test"), classes, self.seed)
        metrics["window"] = classification_metrics(test, one_hot_probabilities(predicted,
                                                                                classes))
        labels["window"] = label
        return Baselines(metrics, labels)

    def prediction_table(self, predicted: np.ndarray, forecast: np.ndarray | None = None,
                         ) -> tuple[list[str], list[list[Any]]]:
        test = self.splits["test"]
        header = ["case", "step", "label", "predicted", *(f"p_{c}" for c in self.classes)]
        rows = []
        for case, labels, probs in zip(test.index, test.y, np.asarray(predicted), strict=True):
            for step, (label, p) in enumerate(zip(labels, probs, strict=True)):
                if label != PAD_LABEL:
                    rows.append([int(case), step, self.classes[int(label)],
                                 self.classes[int(p.argmax())],
                                 *(round(float(v), 6) for v in p)])
        return header, rows

    def _counts(self, split: str) -> np.ndarray:
        return np.bincount(np.concatenate(self.raw_labels[split]), minlength=len(self.classes))

    def preview(self, count: int = 3) -> list[str]:
        lines = []
        for split in SPLITS:
            balance = ", ".join(f"{c}: {int(n)}" for c, n in zip(self.classes,
                                                                 self._counts(split),
                                                                 strict=True))
            lines.append(f"{split}: {len(self.raw[split])} sequences; steps per class "
                         f"{balance}")
        for i, case in enumerate(self.raw["train"][:count]):
            head = ", ".join(f"{v:g}" for v in case[:4, 0])
            tags = ", ".join(self.classes[k] for k in self.raw_labels["train"][i][:4])
            lines.append(f"train case {i}: {len(case)} steps x {case.shape[1]} channels, first "
                         f"values of channel {self.channels[0]}: {head} ... -> {tags} ...")
        return lines

    def describe(self) -> str:
        sizes = " / ".join(f"{name} {len(w.x)}" for name, w in self.splits.items())
        shape = (f"length {self.steps}" if not self.masked else
                 f"lengths {self.lengths[0]}-{self.lengths[1]}, padded and masked")
        return (f"{self.source}; sequences {sizes} ({shape}, {self.n_features} channels, "
                f"{len(self.classes)} classes per step)")

    def summary(self) -> dict[str, object]:
        facts: dict[str, object] = {
            "source": self.source, "task": "label", "channels": ",".join(self.channels),
            "length_min": self.lengths[0], "length_max": self.lengths[1], "masked": self.masked,
            "classes": ",".join(self.classes),
            "train_step_counts": ",".join(f"{c}:{int(n)}" for c, n in zip(
                self.classes, self._counts("train"), strict=True)),
        }
        for name in SPLITS:
            facts[f"{name}_sequences"] = len(self.raw[name])
        return facts


def _classes(cases: StepCases) -> list[str]:
    """Every label of the cases, numbers in numeric order; one the test split adds is refused."""
    seen = set(np.concatenate(cases.labels).tolist())
    unique = sorted_classes(seen)
    if len(unique) < 2:
        raise DataError(f"{cases.source}: only one label ('{unique[0]}'); task: label needs "
                        f"two")
    if cases.test_labels is not None:
        unknown = sorted(set(np.concatenate(cases.test_labels).tolist()) - seen)
        if unknown:
            raise DataError(f"{cases.source}: test labels {', '.join(unknown)} never occur in "
                            f"training")
    return unique


def prepare_step_labels(config: LabelDataConfig, base_dir: Path, seed: int) -> StepLabelData:
    """Load, split, scale and pad a ``task: label`` dataset."""
    cases = load_step_cases(config, base_dir, seed)
    classes = _classes(cases)
    index = {name: i for i, name in enumerate(classes)}
    encoded = [np.array([index[t] for t in row]) for row in cases.labels]
    rng = np.random.default_rng(seed)
    n = len(cases.cases)
    if cases.test_cases is not None and config.split.test is None:
        pool, test = np.arange(n), None
    else:
        pool, test = split_indices(None, n, config.split.test or 0.15, rng, "test", cases.source)
    keep, val = split_indices(None, len(pool), config.split.validation, rng, "validation",
                              cases.source)
    rows = {"train": pool[keep], "validation": pool[val]}
    raw = {name: [cases.cases[i] for i in r] for name, r in rows.items()}
    raw_labels = {name: [encoded[i] for i in r] for name, r in rows.items()}
    if test is None:
        assert cases.test_cases is not None and cases.test_labels is not None
        raw["test"] = cases.test_cases
        raw_labels["test"] = [np.array([index[t] for t in row]) for row in cases.test_labels]
        rows["test"] = np.arange(len(cases.test_cases))
    else:
        raw["test"], raw_labels["test"] = ([cases.cases[i] for i in test],
                                           [encoded[i] for i in test])
        rows["test"] = test
    return _assemble(config, cases, classes, raw, raw_labels, rows, seed)


def _assemble(config: LabelDataConfig, cases: StepCases, classes: list[str],
              raw: dict[str, list[np.ndarray]], raw_labels: dict[str, list[np.ndarray]],
              rows: dict[str, np.ndarray], seed: int) -> StepLabelData:
    assert isinstance(config.scaling, str), "searched: use config.variant()"
    scaler = Scaler.fit(config.scaling, np.concatenate(raw["train"], axis=0))
    lengths = [len(c) for split in raw.values() for c in split]
    steps = max(lengths)
    splits = {}
    for name in SPLITS:
        x = np.full((len(raw[name]), steps, len(cases.channels)), PAD_VALUE, dtype=np.float32)
        y = np.full((len(raw[name]), steps), PAD_LABEL, dtype=np.int32)
        for i, (case, labels) in enumerate(zip(raw[name], raw_labels[name], strict=True)):
            x[i, :len(case)] = scaler.transform(case)
            y[i, :len(labels)] = labels
        splits[name] = Windows(x, y, rows[name])
    return StepLabelData(
        source=cases.source, splits=splits, steps=steps, n_features=len(cases.channels),
        channels=cases.channels, classes=classes, raw=raw, raw_labels=raw_labels,
        lengths=(min(lengths), steps), masked=min(lengths) != steps, scaler=scaler,
        case_column=cases.case_column, time_column=cases.time_column,
        label_name=cases.label_name, seed=seed,
    )
