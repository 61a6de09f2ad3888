"""``task: label`` data: long tables with a label per step, padding, metrics over real steps,
and the per-step baselines. NumPy only: no model is trained here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_automl.baselines.step_window import window_classifier, window_features
from lstm_automl.config.schema import LabelDataConfig
from lstm_automl.data.base import PAD_LABEL
from lstm_automl.data.generators import REGIMES, regimes
from lstm_automl.data.step_labels import prepare_step_labels, step_metrics
from lstm_automl.errors import DataError


def label(source: str, **extra) -> LabelDataConfig:
    return LabelDataConfig(source=source, task="label", **extra)


def long_table(folder: Path, cases: int = 30, seed: int = 0) -> Path:
    """Cases of 6-12 steps; the label of a step is 'up' where its value is positive."""
    rng = np.random.default_rng(seed)
    rows = []
    for case in range(cases):
        for t in range(int(rng.integers(6, 13))):
            value = float(rng.normal())
            rows.append({"case_id": f"c{case}", "t": t, "value": value,
                         "label": "up" if value > 0 else "down"})
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=1)  # any row order
    path = folder / "steps.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_long_table_gives_a_label_per_step_padded_with_the_pad_label(tmp_path):
    long_table(tmp_path)
    data = prepare_step_labels(label("steps.csv", case_column="case_id", time_column="t"),
                               tmp_path, seed=1)
    assert data.classes == ["down", "up"] and data.masked and data.lengths[1] == 12
    assert data.model_shape().task == "label" and data.model_shape().n_outputs == 2
    frame = pd.read_csv(tmp_path / "steps.csv")
    for split, windows in data.splits.items():
        assert windows.x.shape[1:] == (12, 1) and windows.y.shape[1] == 12
        for i, labels in enumerate(data.raw_labels[split]):
            n = len(labels)
            np.testing.assert_array_equal(windows.y[i, :n], labels)
            assert np.all(windows.y[i, n:] == PAD_LABEL) and np.all(windows.x[i, n:] == 0.0)
            # in time order: each step's label agrees with the sign of its raw value
            raw = data.raw[split][i][:, 0]
            np.testing.assert_array_equal(labels, (raw > 0).astype(int))
    total = sum(len(c) for split in data.raw.values() for c in split)
    assert total == len(frame)


def test_step_metrics_by_hand():
    labels = np.array([[0, 1, 1, PAD_LABEL], [2, 2, PAD_LABEL, PAD_LABEL]])
    probs = np.full((2, 4, 3), 1 / 3)
    # predictions on the real steps: 0, 1, 0 | 2, 1  -> 3 of 5 right
    for (i, t), c in {(0, 0): 0, (0, 1): 1, (0, 2): 0, (1, 0): 2, (1, 1): 1}.items():
        probs[i, t] = 0.1
        probs[i, t, c] = 0.8
    metrics = step_metrics(labels, probs)
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    # F1 per class: 0: tp1 fp1 fn0 -> 2/3; 1: tp1 fp1 fn1 -> 1/2; 2: tp1 fp0 fn1 -> 2/3
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 1 / 2 + 2 / 3) / 3)
    assert metrics["log_loss"] == pytest.approx(-np.log([0.8, 0.8, 0.1, 0.8, 0.1]).mean())


def test_padding_never_changes_a_metric():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, size=(5, 7))
    probs = rng.dirichlet(np.ones(3), size=(5, 7))
    before = step_metrics(labels, probs)
    padded_labels = np.concatenate([labels, np.full((5, 4), PAD_LABEL)], axis=1)
    junk = rng.dirichlet(np.ones(3), size=(5, 4))  # whatever the model says on padding
    after = step_metrics(padded_labels, np.concatenate([probs, junk], axis=1))
    assert after == before


def test_the_baselines_are_scored_on_the_test_steps(tmp_path):
    long_table(tmp_path, cases=60)
    data = prepare_step_labels(label("steps.csv", case_column="case_id", time_column="t"),
                               tmp_path, seed=1)
    report = data.baseline_report()
    assert set(report.metrics) == {"majority", "window"}
    test = np.concatenate(data.raw_labels["test"])
    share = np.bincount(test, minlength=2) / len(test)
    pool = np.concatenate(data.raw_labels["train"] + data.raw_labels["validation"])
    assert report.metrics["majority"]["accuracy"] == pytest.approx(
        share[np.bincount(pool).argmax()])
    # the label is the sign of the step's own value: a linear classifier nearly always gets it
    assert report.metrics["window"]["accuracy"] > 0.9
    assert data.best_baseline() == ("window", report.metrics["window"]["accuracy"])


def test_window_features_stay_inside_their_case():
    a, b = np.array([[1.0], [2.0], [3.0]]), np.array([[10.0], [20.0]])
    rows = window_features([a, b], 1)
    np.testing.assert_array_equal(rows[:, :3], [[0, 1, 2], [1, 2, 3], [2, 3, 0],
                                                [0, 10, 20], [10, 20, 0]])
    np.testing.assert_array_equal(rows[:, 3:], rows[:, :3] ** 2)


def test_the_window_classifier_reads_context_a_single_step_lacks():
    """The label of a step is whether the NEXT step is positive: only a window sees it."""
    rng = np.random.default_rng(0)
    cases = [rng.normal(size=(20, 1)) for _ in range(60)]
    labels = [np.r_[(c[1:, 0] > 0).astype(int), 0] for c in cases]
    predicted, text = window_classifier(cases[:30], labels[:30], cases[30:45], labels[30:45],
                                        cases[45:], 2)
    assert np.mean(predicted == np.concatenate(labels[45:])) > 0.9
    assert "window of" in text and "window of 1 steps" not in text


def test_the_regimes_generator_labels_every_step():
    x, y = regimes(50, 20, seed=4)
    assert x.shape == (20, 50, 1) and y.shape == (20, 50)
    assert set(np.unique(y)) == {0, 1, 2} and len(REGIMES) == 3
    assert np.mean(y[:, 1:] != y[:, :-1]) < 0.1  # sticky: regimes last


def test_generated_regimes_are_named(tmp_path):
    data = prepare_step_labels(label("generate:regimes",
                                     generate={"length": 20, "samples": 30}), tmp_path, seed=0)
    assert data.classes == sorted(REGIMES) and not data.masked


@pytest.mark.parametrize("source, message", [
    ("builtin:GunPoint", "no shipped dataset has a label per step"),
    ("generate:adding", "generate:adding has no label per step"),
])
def test_sources_without_step_labels_are_refused(tmp_path, source, message):
    with pytest.raises(DataError, match=message):
        prepare_step_labels(label(source), tmp_path, seed=0)


def test_an_npz_needs_a_label_per_step(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros((4, 5, 1)), y=np.zeros(4))
    with pytest.raises(DataError, match="y of samples x steps"):
        prepare_step_labels(label("a.npz"), tmp_path, seed=0)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "b.npz", x=rng.normal(size=(20, 5, 2)), y=rng.integers(0, 2, (20, 5)))
    data = prepare_step_labels(label("b.npz"), tmp_path, seed=0)
    assert data.channels == ["c0", "c1"] and data.splits["train"].y.shape[1] == 5


def test_an_empty_step_label_names_its_row(tmp_path):
    (tmp_path / "s.csv").write_text("case_id,value,label\na,1,x\na,2,\nb,1,y\nb,2,x\n")
    with pytest.raises(DataError, match="row 3: empty label"):
        prepare_step_labels(label("s.csv"), tmp_path, seed=0)


def test_the_test_predictions_have_one_row_per_real_step_and_feed_the_confusion_matrix(
        tmp_path):
    from lstm_automl.report.figures import confusion_counts

    long_table(tmp_path, cases=20)
    data = prepare_step_labels(label("steps.csv", case_column="case_id", time_column="t"),
                               tmp_path, seed=1)
    test = data.splits["test"]
    predicted = np.stack([1.0 - (test.x[..., 0] > 0), test.x[..., 0] > 0], axis=-1)
    header, rows = data.prediction_table(predicted)
    assert header == ["case", "step", "label", "predicted", "p_down", "p_up"]
    assert len(rows) == sum(len(c) for c in data.raw["test"])
    classes, counts, what = confusion_counts(pd.DataFrame(rows, columns=header))
    assert classes == ["down", "up"] and counts.sum() == len(rows)
    assert what == f"{len(rows)} test steps of {len(data.raw['test'])} sequences"
