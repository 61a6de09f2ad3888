"""Classification and regression data: shipped UCR/UEA sets, own files, generators, masking."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_automl.config.schema import ClassifyDataConfig, RegressDataConfig
from lstm_automl.data import prepare_sequences
from lstm_automl.data.generators import adding_problem, copy_task
from lstm_automl.errors import DataError


def classify(source: str, **extra) -> ClassifyDataConfig:
    return ClassifyDataConfig(source=source, task="classify", **extra)


@pytest.mark.parametrize("name, accuracy", [("ItalyPowerDemand", 0.9553), ("GunPoint", 0.9133)])
def test_one_nearest_neighbour_reproduces_the_ucr_reference(tmp_path, name, accuracy):
    data = prepare_sequences(classify(f"builtin:{name}"), tmp_path, seed=1)
    assert round(data.baselines()["1nn_euclidean"]["accuracy"], 4) == accuracy


def test_published_test_split_is_kept_and_validation_is_stratified(tmp_path):
    data = prepare_sequences(classify("builtin:GunPoint"), tmp_path, seed=1)
    sizes = {name: len(w.x) for name, w in data.splits.items()}
    assert sizes == {"train": 42, "validation": 8, "test": 150}
    for split in ("train", "validation"):
        assert set(data.raw_labels[split]) == {0, 1}
    assert data.model_shape().n_outputs == 1  # binary: one sigmoid output
    again = prepare_sequences(classify("builtin:GunPoint"), tmp_path, seed=1)
    np.testing.assert_array_equal(again.splits["train"].index, data.splits["train"].index)


def test_unequal_lengths_are_padded_after_the_end_and_masked(tmp_path):
    data = prepare_sequences(classify("builtin:JapaneseVowels"), tmp_path, seed=1)
    assert data.masked and data.lengths == (7, 29)
    assert data.model_shape().masked and data.model_shape().n_outputs == 9
    windows = data.splits["test"]
    assert windows.x.shape == (370, 29, 12)
    for i, case in enumerate(data.raw["test"]):
        assert np.all(windows.x[i, len(case):] == 0.0)
        assert np.any(windows.x[i, len(case) - 1] != 0.0)


def test_scaler_is_fitted_on_training_cases_only(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5, 2)), rng.normal(size=40)
    outputs = []
    for scale in (1.0, 1000.0):
        np.savez(tmp_path / "a.npz", x=x, y=y, x_test=rng.normal(size=(8, 5, 2)) * scale,
                 y_test=rng.normal(size=8) * scale)
        data = prepare_sequences(RegressDataConfig(source="a.npz", task="regress"), tmp_path, 0)
        outputs.append((data.splits["train"].x, data.splits["train"].y))
    np.testing.assert_array_equal(outputs[0][0], outputs[1][0])
    np.testing.assert_array_equal(outputs[0][1], outputs[1][1])
    train = outputs[0][0].reshape(-1, 2)
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-5)


def test_wide_csv_with_trailing_empty_cells_and_long_csv(tmp_path):
    rows = ["label,t0,t1,t2,t3"]
    for i in range(12):
        tail = ",," if i % 3 == 0 else f",{i * 0.3},{i * 0.4}"
        rows.append(f"{'ab'[i % 2]},{i * 0.1},{i * 0.2}{tail}")
    (tmp_path / "wide.csv").write_text("\n".join(rows) + "\n")
    data = prepare_sequences(classify("wide.csv", split={"validation": 0.25, "test": 0.25}),
                             tmp_path, seed=3)
    assert data.masked and data.lengths == (2, 4) and data.classes == ["a", "b"]

    lines = ["case,step,label,x,y"]
    for case in range(10):
        for step in reversed(range(3 + case % 2)):
            lines.append(f"c{case},{step},{case % 2},{case + step},{step * 2}")
    (tmp_path / "long.csv").write_text("\n".join(lines) + "\n")
    config = classify("long.csv", layout="long", case_column="case", time_column="step",
                      features=["x", "y"], split={"validation": 0.2, "test": 0.2})
    data = prepare_sequences(config, tmp_path, seed=3)
    assert data.n_features == 2 and data.lengths == (3, 4)
    first = data.raw["train"][0]
    assert np.all(np.diff(first[:, 1]) > 0)  # ordered by the time column


def test_npz_arrays_with_a_fixed_test_split(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "arrays.npz", x=rng.normal(size=(40, 5, 3)), y=rng.normal(size=40),
             x_test=rng.normal(size=(10, 5, 3)), y_test=rng.normal(size=10))
    config = RegressDataConfig(source="arrays.npz", task="regress")
    data = prepare_sequences(config, tmp_path, seed=0)
    assert len(data.splits["test"].x) == 10 and data.model_shape().n_outputs == 1
    assert "mean" in data.baselines()


def test_adding_and_copy_generators():
    x, y = adding_problem(20, 50, seed=4)
    assert x.shape == (50, 20, 2) and np.all(x[:, :, 1].sum(axis=1) == 2)
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=1))
    x, y = copy_task(15, 30, seed=4)
    assert x.shape == (30, 26, 10) and y.shape == (30, 10)
    np.testing.assert_array_equal(x[:, :10, :8].argmax(-1), y)


@pytest.mark.parametrize("problem, message", [
    ("single", "class 'c' has only 1 example"),
    ("unseen", "test labels"),
])
def test_bad_labels_are_refused(tmp_path, problem, message):
    labels = ["a", "b"] * 6 + (["c"] if problem == "single" else [])
    rows = ["label,t0,t1"] + [f"{lab},1,{i}" for i, lab in enumerate(labels)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    config = classify("d.csv")
    if problem == "unseen":
        np.savez(tmp_path / "d.npz", x=np.ones((10, 2, 1)), y=np.array([0, 1] * 5),
                 x_test=np.ones((2, 2, 1)), y_test=np.array([0, 7]))
        config = classify("d.npz")
    with pytest.raises(DataError, match=message):
        prepare_sequences(config, tmp_path, seed=0)


def test_balanced_class_weights(tmp_path):
    labels = ["a"] * 30 + ["b"] * 10
    rows = ["label,t0,t1"] + [f"{lab},{i},1" for i, lab in enumerate(labels)]
    (tmp_path / "imb.csv").write_text("\n".join(rows) + "\n")
    data = prepare_sequences(classify("imb.csv", class_weight="balanced"), tmp_path, seed=0)
    weights = data.fit_kwargs()["class_weight"]
    assert weights[1] > weights[0] * 2.5
