"""Detection metrics, the threshold rule and the classical detectors, against values worked out
by hand. NumPy (and scikit-learn for the forest) only."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_automl.baselines.detectors import (
    isolation_forest,
    rolling_zscore,
    seasonal_residual,
    window_features,
)
from lstm_automl.data.anomaly_metrics import (
    best_f1_threshold,
    choose_threshold,
    detection_metrics,
    event_recall,
    point_adjusted,
    point_scores,
    range_scores,
    runs,
)

# Two true windows: steps 2-4 (3 steps) and step 8 (1 step). Flags: steps 3, 6 and 7.
LABELS = np.array([0, 0, 1, 1, 1, 0, 0, 0, 1, 0])
FLAGS = np.array([0, 0, 0, 1, 0, 0, 1, 1, 0, 0])


def test_runs_are_the_windows_of_consecutive_ones():
    assert runs(LABELS) == [(2, 5), (8, 9)]
    assert runs(FLAGS) == [(3, 4), (6, 8)]
    assert runs(np.zeros(4)) == []
    assert runs(np.ones(3)) == [(0, 3)]


def test_point_scores_count_single_steps():
    # 1 hit of 3 flags, 1 of 4 true steps: P 1/3, R 1/4, F1 2/7
    precision, recall, f1 = point_scores(LABELS, FLAGS)
    assert (precision, recall) == pytest.approx((1 / 3, 1 / 4))
    assert f1 == pytest.approx(2 / 7)


def test_an_event_is_detected_by_any_flag_inside_it():
    assert event_recall(LABELS, FLAGS) == pytest.approx(1 / 2)  # the first window only


def test_range_scores_average_covered_shares():
    # true windows covered 1/3 and 0/1 -> recall 1/6; flagged runs inside truth 1/1 and 0/2
    # -> precision 1/2; F1 = 2 * (1/2 * 1/6) / (1/2 + 1/6) = 1/4
    precision, recall, f1 = range_scores(LABELS, FLAGS)
    assert (precision, recall, f1) == pytest.approx((1 / 2, 1 / 6, 1 / 4))


def test_point_adjustment_fills_detected_windows_only():
    assert point_adjusted(LABELS, FLAGS).astype(int).tolist() == [0, 0, 1, 1, 1, 0, 1, 1, 0, 0]


def test_detection_metrics_names_and_values():
    m = detection_metrics(LABELS, FLAGS)
    assert m["f1"] == pytest.approx(2 / 7)
    # event F1: point precision 1/3 with event recall 1/2 -> 2/5
    assert m["event_f1"] == pytest.approx(2 / 5)
    # point-adjusted: 3 hits of 5 flags, 3 of 4 true steps -> F1 2/3
    assert m["pa_f1"] == pytest.approx(2 / 3)
    assert m["range_f1"] == pytest.approx(1 / 4)
    assert m["flagged"] == 3


def test_no_flags_and_no_anomalies_score_zero_not_nan():
    m = detection_metrics(LABELS, np.zeros(10))
    assert m["f1"] == m["precision"] == m["event_recall"] == m["range_precision"] == 0.0
    assert detection_metrics(np.zeros(4), np.ones(4))["recall"] == 0.0


def test_best_f1_threshold_is_the_score_with_the_highest_f1():
    scores = np.array([0.1, 0.9, 0.8, 0.2, 0.7, 0.3])
    labels = np.array([0, 1, 1, 0, 0, 0])
    # >= 0.9: F1 2/3; >= 0.8: F1 1 (best); >= 0.7: F1 4/5
    assert best_f1_threshold(scores, labels) == 0.8


def test_best_f1_ties_pick_the_higher_threshold():
    scores = np.array([3.0, 2.0, 1.0, 1.0])
    labels = np.array([1, 0, 0, 0])
    assert best_f1_threshold(scores, labels) == 3.0
    # tied scores are flagged together: >= 1.0 flags both ones
    assert best_f1_threshold(np.array([1.0, 1.0, 0.5]), np.array([1, 0, 0])) == 1.0


def test_choose_threshold_says_its_rule_and_falls_back_without_anomalies():
    scores = np.arange(101, dtype=float)
    chosen = choose_threshold(scores, np.r_[np.zeros(100), 1], "best_f1", 0.9)
    assert chosen.value == 100.0 and "highest point F1" in chosen.rule
    fallback = choose_threshold(scores, np.zeros(101), "best_f1", 0.9)
    assert fallback.value == pytest.approx(90.0) and "fell back" in fallback.rule
    quantile = choose_threshold(scores, np.r_[np.zeros(100), 1], "quantile", 0.95)
    assert quantile.value == pytest.approx(95.0) and "0.95 quantile" in quantile.rule
    assert quantile.flags(np.array([94.0, 95.0, 96.0])).tolist() == [0, 1, 1]
    with pytest.raises(ValueError):
        choose_threshold(np.array([]), np.array([]), "best_f1", 0.9)


def test_rolling_zscore_uses_only_the_past_window():
    series = np.array([1.0, 3.0, 1.0, 3.0, 10.0])
    # window of 4 before row 4: mean 2, std 1 -> |10 - 2| / 1 = 8
    assert rolling_zscore(series, np.array([4]), 4).tolist() == pytest.approx([8.0])
    # window 2 before row 2: [1, 3], mean 2, std 1 -> |1 - 2| = 1
    assert rolling_zscore(series, np.array([2]), 2).tolist() == pytest.approx([1.0])


def test_seasonal_residual_and_its_naive_fallback():
    series = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    assert seasonal_residual(series, np.array([3, 4]), 2).tolist() == [6.0, 12.0]
    assert seasonal_residual(series, np.array([3, 4]), None).tolist() == [4.0, 8.0]


def test_window_features_are_centred_windows_ending_at_the_row():
    series = np.array([0.0, 1.0, 2.0, 6.0])
    assert window_features(series, np.array([3]), 3).tolist() == [[-2.0, -1.0, 3.0]]


def test_isolation_forest_scores_an_injected_spike_highest():
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(600) / 4.0) + rng.normal(0, 0.05, 600)
    series[550] += 4.0
    scores = isolation_forest(series, np.arange(10, 400), np.arange(400, 600), 8, seed=1)
    assert 400 + int(np.argmax(scores)) in range(550, 558)  # a window holding the spike
