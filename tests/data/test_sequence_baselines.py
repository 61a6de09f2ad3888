"""Whole-sequence baselines: 1-NN DTW (UCR known answers, an independent DTW) and ridge."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_automl.baselines.dtw import PERCENTS, _loo_accuracy, _prepare, dtw_1nn, dtw_distance
from lstm_automl.baselines.linear import linear_sequence_regression

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


@cache
def ucr(name: str, split: str) -> tuple[list[np.ndarray], np.ndarray]:
    """Cases exactly as in the file (UCR/UEA series are already z-normalised)."""
    frame = pd.read_csv(DATASETS / f"{name}_{split}.csv")
    if "case_id" not in frame:  # wide: label,t0..tN
        values = frame.to_numpy(dtype=np.float64)
        return [row[1:, None] for row in values], values[:, 0].astype(int)
    channels = [c for c in frame.columns if c not in ("case_id", "label", "t")]
    cases, labels = [], []
    for _, case in frame.groupby("case_id", sort=False):
        case = case.sort_values("t")
        cases.append(case[channels].to_numpy(dtype=np.float64))
        labels.append(int(case["label"].iloc[0]))
    return cases, np.array(labels)


def test_accuracy(name: str, window: float | None | str) -> float:
    train, train_labels = ucr(name, "TRAIN")
    test, test_labels = ucr(name, "TEST")
    result = dtw_1nn(train, train_labels, test, window=window)
    assert result.name == "1nn_dtw" and not result.notes
    return round(float(np.mean(result.predicted == test_labels)), 4)


test_accuracy.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


# Published accuracies on the test split (UCR 2018 DataSummary; JapaneseVowels as listed in
# shared/data/reference_results_classification.csv for these unequal-length files).
@pytest.mark.parametrize(("name", "window", "expected"), [
    ("GunPoint", None, 0.9067),
    ("GunPoint", "learn", 0.9133),
    ("ItalyPowerDemand", "learn", 0.9553),
    ("ItalyPowerDemand", None, 0.9504),
    ("JapaneseVowels", None, 0.9486),
])
def test_ucr_known_answers(name: str, window: float | None | str, expected: float) -> None:
    assert test_accuracy(name, window) == expected


def test_learned_windows_are_reported() -> None:
    train, labels = ucr("GunPoint", "TRAIN")
    test, _ = ucr("GunPoint", "TEST")
    result = dtw_1nn(train, labels, test)
    assert result.window == 0.0  # the UCR archive's learned window for GunPoint
    assert result.label == "1-NN DTW, window 0% (learned by leave-one-out)"
    full = dtw_1nn(train, labels, test, window=None)
    assert full.window is None and full.label == "1-NN DTW, full window"


def numpy_dtw(a: np.ndarray, b: np.ndarray, radius: int | None) -> float:
    """Textbook DTW, squared Euclidean step cost; the band runs around both diagonals."""
    n, m = len(a), len(b)
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, 0] = 0.0
    for i in range(n):
        for j in range(m):
            if radius is not None and not (
                    -radius - max(0, n - m) <= j - i <= radius + max(0, m - n)):
                continue
            step = float(np.sum((a[i] - b[j]) ** 2))
            cost[i + 1, j + 1] = step + min(cost[i, j], cost[i, j + 1], cost[i + 1, j])
    return float(np.sqrt(cost[n, m]))


@pytest.mark.parametrize("channels", [1, 3])
def test_distance_matches_independent_dtw(channels: int) -> None:
    rng = np.random.default_rng(channels)
    for n, m in [(9, 14), (12, 5), (1, 7)]:
        a, b = rng.normal(size=(n, channels)), rng.normal(size=(m, channels))
        for radius in (0, 1, 3, None):
            assert dtw_distance(a, b, radius) == pytest.approx(numpy_dtw(a, b, radius), rel=1e-12)


def random_cases(rng: np.random.Generator, count: int, channels: int) -> list[np.ndarray]:
    return [np.cumsum(rng.normal(size=(int(rng.integers(4, 11)), channels)), axis=0)
            for _ in range(count)]


def test_nearest_neighbours_match_independent_dtw() -> None:
    """Unequal lengths, two channels, a fixed band: the matrix path finds numpy's neighbours."""
    rng = np.random.default_rng(7)
    train, test = random_cases(rng, 10, 2), random_cases(rng, 6, 2)
    reference = max(len(c) for c in train)
    radius = int(0.3 * reference)
    expected = [int(np.argmin([numpy_dtw(q, c, radius) for c in train])) for q in test]
    result = dtw_1nn(train, np.arange(len(train)), test, window=0.3)
    assert result.predicted.tolist() == expected
    assert result.label == "1-NN DTW, window 30%"


def test_learned_window_equals_brute_force_search() -> None:
    """The pruned leave-one-out search scores every window as a plain search does, and picks
    the smallest of the best."""
    rng = np.random.default_rng(11)
    for trial in range(4):
        train = random_cases(rng, 16, 1 + trial % 2)
        labels = rng.integers(0, 2, len(train))
        reference = max(len(c) for c in train)
        radii = [p * reference // 100 for p in PERCENTS]
        brute = {}
        for radius in sorted(set(radii)):
            distance = np.array([[numpy_dtw(a, b, radius) if i != j else np.inf
                                  for j, b in enumerate(train)] for i, a in enumerate(train)])
            brute[radius] = np.mean(labels[np.argmin(distance, axis=1)] == labels)
        expected = np.array([brute[r] for r in radii])
        pruned, stopped = _loo_accuracy(_prepare(train, "train"), labels, radii, float("inf"))
        assert stopped is None
        np.testing.assert_array_equal(pruned, expected)
        best = PERCENTS[int(np.argmax(expected))]  # smallest window on ties
        assert dtw_1nn(train, labels, train[:2]).window == best / 100, trial


def test_budget_subsamples_the_window_search() -> None:
    rng = np.random.default_rng(0)
    train = [rng.normal(size=(60, 1)) for _ in range(80)]
    labels = np.arange(80) % 2
    result = dtw_1nn(train, labels, train[:3], budget_s=1e-4, seed=3)
    assert len(result.notes) == 1
    note = result.notes[0]
    assert "on 20 of 80 training cases (class-stratified sample, seed 3)" in note
    assert "over the 0.0001 s budget" in note
    assert "on 20 of 80 training cases" in result.label
    assert result.window is not None and 0.0 <= result.window <= 1.0


def test_baseline_modules_stay_light() -> None:
    """No TensorFlow, Keras, JAX or MLflow, and the DTW package only once a distance is asked."""
    code = ("import sys, lstm_automl.baselines.dtw, lstm_automl.baselines.linear; "
            "print(sorted(m for m in {'tensorflow', 'keras', 'jax', 'mlflow', 'dtaidistance'} "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ridge_recovers_a_linear_relation() -> None:
    rng = np.random.default_rng(5)
    weights = rng.normal(size=(8, 2))
    cases = [rng.normal(size=(8, 2)) for _ in range(300)]
    targets = np.array([3.0 + float(np.sum(weights * c)) for c in cases])
    noisy = targets + rng.normal(scale=0.01, size=len(targets))
    predicted, label = linear_sequence_regression(cases[:200], noisy[:200], cases[200:])
    assert np.max(np.abs(predicted - targets[200:])) < 0.02
    assert label.startswith("ridge on the sequence, alpha ") and label.endswith(" by leave-one-out")


def test_ridge_pads_unequal_lengths_and_shrinks_noise() -> None:
    rng = np.random.default_rng(6)
    cases = [rng.normal(size=(int(rng.integers(3, 12)), 1)) for _ in range(120)]
    targets = np.array([2.0 * c[0, 0] - c[1, 0] for c in cases])  # the first steps only
    predicted, _ = linear_sequence_regression(cases[:80], targets[:80], cases[80:])
    assert np.max(np.abs(predicted - targets[80:])) < 0.05
    pure_noise = rng.normal(size=80)  # nothing to learn: a large alpha, close to the mean
    predicted, _ = linear_sequence_regression(cases[:80], pure_noise, cases[80:])
    assert np.std(predicted) < 0.5 * np.std(pure_noise)
