"""Several targets: each is judged against its own strongest baseline, and the champion beats the
baselines only where it beats every target's."""

from __future__ import annotations

import pytest

from lstm_automl.results.sweep_result import SweepResult
from lstm_automl.results.target_verdict import TargetsVerdict, verdict_of
from lstm_automl.results.trial_record import TrialRecord
from lstm_automl.results.verdict import Verdict

BASELINES = {  # sarima is strongest on load, naive on temp
    "naive": {"rmse": 0.9, "rmse_load": 50.0, "rmse_temp": 0.8},
    "sarima": {"rmse": 0.7, "rmse_load": 15.0, "rmse_temp": 1.1},
}
LABELS = {"sarima/load": "SARIMA(0,1,1)", "sarima/temp": "ARIMA(1,0,0)", "naive": "last value"}


def test_a_champion_that_loses_on_one_target_loses():
    verdict = verdict_of({"rmse": 0.5, "rmse_load": 12.0, "rmse_temp": 0.9}, BASELINES, "rmse",
                         False, LABELS)
    assert isinstance(verdict, TargetsVerdict)
    assert verdict.per_target["load"].baseline == "sarima"
    assert verdict.per_target["temp"].baseline == "naive"
    assert verdict.beaten == ["load"] and verdict.lost == ["temp"]
    assert verdict.beats is False and verdict.lift == pytest.approx(1 - 0.9 / 0.8)
    assert verdict.tag() == "loses on temp"
    sentence = verdict.sentence()
    assert sentence.startswith("LOSES to the strongest baseline on temp; beats it on load")
    assert "load: beats sarima (SARIMA(0,1,1)), rmse 12 vs 15, 20.0% lower." in sentence
    assert "temp: LOSES to naive (last value), rmse 0.9 vs 0.8, 12.5% higher." in sentence
    assert "(loses on temp (naive))" in verdict.shortfall()


def test_a_champion_that_beats_every_target_beats_the_baselines():
    verdict = verdict_of({"rmse": 0.5, "rmse_load": 12.0, "rmse_temp": 0.7}, BASELINES, "rmse",
                         False, LABELS)
    assert verdict.beats is True and verdict.lift == pytest.approx(1 - 0.7 / 0.8)
    assert verdict.tag() == "beats the strongest baseline on all 2 targets"
    assert verdict.sentence().startswith("Beats the strongest baseline on every target")
    assert verdict.baseline == "load: sarima, temp: naive"


def test_a_single_target_keeps_its_verdict():
    verdict = verdict_of({"rmse": 12.0}, {"sarima": {"rmse": 15.3}}, "rmse", False)
    assert isinstance(verdict, Verdict) and verdict.tag() == "beats sarima"


def test_the_sweep_result_and_its_lift_use_the_per_target_verdict():
    best = TrialRecord(number=1, trial_id="0", run_id="", name="trial-001", values={},
                       status="COMPLETED", score=1.0)
    result = SweepResult("run", [best], best, {"rmse": 0.5, "rmse_load": 12.0,
                                               "rmse_temp": 0.9}, BASELINES)
    assert result.verdict.beats is False and result.verdict.lift < 0
