"""The verdict names the strongest baseline and tells the truth about it, for errors and scores."""

from __future__ import annotations

import math

import pytest

from lstm_automl.results.verdict import judge

FORECAST_BASELINES = {
    "naive": {"rmse": 51.8, "mae": 44.2},
    "seasonal_naive": {"rmse": 50.0, "mae": 47.6},
    "sarima": {"rmse": 15.3, "mae": 11.0},
    "ets": {"rmse": 16.9, "mae": 12.0},
}


def test_a_champion_that_beats_the_weak_baselines_but_not_sarima_loses():
    verdict = judge({"rmse": 23.0}, FORECAST_BASELINES, "rmse", False,
                    {"sarima": "SARIMA(0,1,1)(0,1,1)12 on log"})
    assert verdict.baseline == "sarima" and verdict.baseline_value == 15.3
    assert verdict.beats is False
    assert verdict.lift == pytest.approx(1 - 23.0 / 15.3)
    sentence = verdict.sentence()
    assert sentence.startswith("LOSES to the strongest baseline, sarima (SARIMA(0,1,1)(0,1,1)12")
    assert "50.3% higher" in sentence
    assert verdict.tag() == "loses to sarima"


def test_a_champion_below_the_strongest_error_beats_it():
    verdict = judge({"rmse": 12.0}, FORECAST_BASELINES, "rmse", False)
    assert verdict.beats is True and verdict.tag() == "beats sarima"
    assert "21.6% lower" in verdict.sentence()


def test_a_tie_is_not_a_win():
    assert judge({"rmse": 15.3}, FORECAST_BASELINES, "rmse", False).beats is False


def test_scores_compare_in_points_and_the_highest_baseline_is_the_strongest():
    baselines = {"majority": {"accuracy": 0.5}, "1nn_euclidean": {"accuracy": 0.60},
                 "1nn_dtw": {"accuracy": 0.975}}
    verdict = judge({"accuracy": 0.925}, baselines, "accuracy", True)
    assert verdict.baseline == "1nn_dtw" and verdict.beats is False
    assert "5.0 points lower" in verdict.sentence()
    assert judge({"accuracy": 0.99}, baselines, "accuracy", True).beats is True


def test_nan_baselines_never_win_and_no_baseline_is_unjudged():
    baselines = {"broken": {"rmse": math.nan}, "naive": {"rmse": 2.0}}
    assert judge({"rmse": 1.0}, baselines, "rmse", False).baseline == "naive"
    empty = judge({"rmse": 1.0}, {}, "rmse", False)
    assert empty.beats is None and empty.tag() == "no baseline"
    assert "unjudged" in empty.sentence()
