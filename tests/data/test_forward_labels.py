"""``data.label_from``: the forward-move arithmetic on hand-made series (exact classes), the
time-ordered splits with their gap of ``horizon`` rows, scaling on the training rows only, the
searched lookback and horizon as data variants, and the last-move baseline. NumPy only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_automl.baselines.forward_move import last_move_classes, window_ridge_classifier
from lstm_automl.config.schema import ClassifyDataConfig
from lstm_automl.data.forward_labels import (
    NO_CLASS,
    NonPositiveReference,
    forward_classes,
    prepare_forward_labels,
    verdict_metric,
)
from lstm_automl.data.variants import DataVariants

DOWN, FLAT, UP = 0, 1, 2


def test_past_mean_differences_are_classed_with_strict_thresholds():
    values = [10, 10, 10, 11, 12, 12, 11, 10, 10, 10]
    # horizon 2: m- = mean of rows t-1, t; m+ = mean of rows t+1, t+2. Row 1: 10.5 - 10 = 0.5
    # is not above 0.5 (flat); row 7: 10 - 10.5 = -0.5 is not below -0.5 (flat).
    codes = forward_classes(np.array(values, float), 2, 0.5, "past_mean", "difference")
    assert codes.tolist() == [NO_CLASS, FLAT, UP, UP, FLAT, DOWN, DOWN, FLAT, NO_CLASS, NO_CLASS]


def test_relative_moves_against_the_last_value():
    codes = forward_classes(np.array([100, 100, 102, 104, 100, 98], float), 1, 0.01, "last",
                            "relative")
    # 0, +2%, +1.9%, -3.8%, -2%; the last row has no next row
    assert codes.tolist() == [FLAT, UP, UP, DOWN, DOWN, NO_CLASS]


def test_a_relative_move_from_zero_is_refused_at_its_row():
    with pytest.raises(NonPositiveReference) as bad:
        forward_classes(np.array([1, 2, 0, 0, 3, 4], float), 2, 0.1)
    assert bad.value.row == 3 and bad.value.value == 0.0  # mean of rows 2, 3


def _series(folder: Path, rows: int = 60) -> Path:
    steps = np.arange(rows)
    values = 50 + 10 * np.sin(2 * np.pi * steps / 9) + 0.01 * steps
    lines = ["t,value,other"] + [f"{i},{v:.6f},{i % 4}" for i, v in zip(steps, values,
                                                                        strict=True)]
    path = folder / "s.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _config(**label_from: object) -> ClassifyDataConfig:
    settings = {"column": "value", "lookback": 4, "horizon": 3, "threshold": 8.0,
                "change": "difference", **label_from}
    return ClassifyDataConfig.model_validate({
        "task": "classify", "source": "s.csv", "time_column": "t", "label_from": settings,
        "split": {"validation": 15, "test": 15}})


def test_splits_are_in_time_order_with_a_gap_of_horizon_rows(tmp_path: Path):
    _series(tmp_path)
    data = prepare_forward_labels(_config(), tmp_path)
    assert data.split_rows == {"train": (0, 30), "validation": (30, 45), "test": (45, 60)}
    for split, (start, stop) in data.split_rows.items():
        rows = data.splits[split].index
        # the first full window ends at row 3; past_mean needs rows t-2..t; the last label
        # reads rows up to t + 3, which stays inside the split
        assert rows.tolist() == list(range(max(start, 3), stop - 3)), split
        assert rows.max() + data.horizon < stop
    values = data.columns["value"]
    expected = forward_classes(values, 3, 8.0, "past_mean", "difference")
    np.testing.assert_array_equal(data.splits["test"].y, expected[data.splits["test"].index])
    # scaling fitted on the training rows only; a validation window reaches back into them
    assert data.scaler is not None
    assert data.scaler.offset[0] == pytest.approx(values[:30].mean())
    first = data.splits["validation"]
    assert first.index[0] == 30
    np.testing.assert_allclose(first.x[0, :, 0], data.scaler.transform(
        values[27:31, None])[:, 0], rtol=1e-6)
    assert data.model_shape().steps == 4 and data.model_shape().n_outputs == 3
    assert data.primary_metric == "macro_f1" and data.higher_is_better
    assert "train: rows 0-29" in "\n".join(data.preview())


def test_features_are_the_inputs_and_the_column_stays_the_label(tmp_path: Path):
    _series(tmp_path)
    config = _config().model_copy(update={"features": ["value", "other"]})
    data = prepare_forward_labels(config, tmp_path)
    assert data.splits["train"].x.shape[1:] == (4, 2)


def test_lookback_and_horizon_are_searched_as_data_variants(tmp_path: Path):
    _series(tmp_path)
    config = _config(lookback={"choice": [3, 5]}, horizon={"int": [2, 3]})
    assert config.searched_data() == {"label_from.lookback": [3, 5],
                                      "label_from.horizon": [2, 3]}
    variants = DataVariants(config, tmp_path)
    assert variants.count() == 4
    for data in variants.all():
        lookback, horizon = data.lookback, data.horizon
        assert data.splits["train"].x.shape[1] == lookback
        assert data.splits["train"].index.max() + horizon < 30
    chosen = variants.from_hp_values({"data.label_from.lookback": 5,
                                      "data.label_from.horizon": 2})
    assert (chosen.lookback, chosen.horizon) == (5, 2)


def test_a_sweep_without_label_from_keeps_its_identity():
    plain = ClassifyDataConfig.model_validate({"task": "classify", "source": "x.csv"})
    assert "label_from" not in plain.model_dump()
    assert plain.searched_data() == {}


def test_the_last_move_baseline_repeats_the_class_whose_window_has_ended():
    codes = np.array([NO_CLASS, UP, DOWN, FLAT, UP, NO_CLASS])
    # row t predicts the class of row t - 2; rows without one get the fallback
    assert last_move_classes(codes, np.array([1, 2, 3, 4, 5]), 2, FLAT).tolist() == [
        FLAT, FLAT, UP, DOWN, FLAT]


def test_the_window_ridge_baseline_learns_a_linear_rule():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4, 1))
    labels = np.digitize(x[:, -1, 0], [-0.5, 0.5])  # the class is the last value's band
    predicted, label = window_ridge_classifier(x[:200], labels[:200], x[200:250],
                                               labels[200:250], x[250:], 3)
    assert np.mean(predicted == labels[250:]) > 0.7 and "alpha" in label


def test_the_verdict_follows_an_accuracy_objective_and_otherwise_compares_macro_f1(
        tmp_path: Path):
    assert [verdict_metric(o) for o in ("val_accuracy", "val_macro_f1", "val_loss", None)] == [
        "accuracy", "macro_f1", "macro_f1", "macro_f1"]
    _series(tmp_path)
    data = prepare_forward_labels(_config(), tmp_path, objective="val_accuracy")
    assert data.primary_metric == "accuracy"
    best = data.best_baseline()
    assert best is not None and best[1] == max(m["accuracy"] for m in data.baselines().values())


def test_balanced_class_weights_follow_the_training_counts(tmp_path: Path):
    _series(tmp_path)
    config = _config().model_copy(update={"class_weight": "balanced"})
    data = prepare_forward_labels(config, tmp_path)
    counts = np.bincount(data.splits["train"].y, minlength=3)
    weights = data.fit_kwargs()["class_weight"]
    assert [weights[k] * counts[k] for k in range(3)] == pytest.approx([counts.sum() / 3] * 3)
