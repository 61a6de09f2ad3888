"""Classical baselines (AR, ETS, SARIMA): published and reference answers on the airline series,
the forecasting contract (fixed parameters, no look-ahead) and failures that become notes.

The reference values are from ``reference_results_forecasting.csv`` (shared data of this
project; computed with statsmodels 0.15.0) unless a test says otherwise.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import warnings

import numpy as np
import pytest

from lstm_automl.baselines.classical import (
    ENTRIES,
    METHODS,
    classical_forecasts,
    fit_ar,
    fit_ar_on,
    fit_ets,
    fit_sarima,
)
from lstm_automl.config.builtin import datasets_dir
from lstm_automl.data.metrics import forecast_metrics, naive_forecast, seasonal_naive_forecast


def _airline() -> np.ndarray:
    with open(datasets_dir() / "airline.csv", newline="") as handle:
        return np.array([float(row["passengers"]) for row in csv.DictReader(handle)])


@pytest.fixture(scope="module")
def airline() -> np.ndarray:
    series = _airline()
    assert len(series) == 144
    return series


@pytest.fixture(scope="module")
def airline_model_120(airline: np.ndarray):
    """The airline model on logs of 1949-1958, as published."""
    return fit_sarima(airline[:120], (0, 1, 1), (0, 1, 1, 12), log=True)


def _quarterly(n: int = 80, seed: int = 7) -> np.ndarray:
    """A small positive series with a trend and a multiplicative season of 4 (cheap to fit)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (100 + 2 * t) * (1 + 0.15 * np.sin(2 * np.pi * t / 4)) * np.exp(rng.normal(0, 0.02, n))


# ------------------------------------------------------------------------ known answers


@pytest.mark.parametrize(("stop", "naive", "seasonal"), [(120, 137.328985, 76.994589),
                                                          (132, 102.976535, 50.708316)])
def test_naive_baselines_match_reference(airline: np.ndarray, stop: int, naive: float,
                                         seasonal: float) -> None:
    horizon = 144 - stop
    rows = np.array([stop])
    truth = airline[stop:]
    assert forecast_metrics(truth, naive_forecast(airline, rows, horizon)[0])["rmse"] == (
        pytest.approx(naive, abs=1e-5))
    snaive = seasonal_naive_forecast(airline, rows, horizon, 12)[0]
    assert forecast_metrics(truth, snaive)["rmse"] == pytest.approx(seasonal, abs=1e-5)
    if stop == 120:  # R forecast::snaive, published: RMSE 76.99, MAE 71.25, MAPE 15.52
        metrics = forecast_metrics(truth, snaive)
        assert metrics["mae"] == pytest.approx(71.25, abs=0.005)
        assert metrics["mape"] == pytest.approx(15.52, abs=0.005)


@pytest.mark.parametrize(("stop", "reference_rmse", "reference_mape", "equations_rmse"),
                         [(120, 32.488612, 6.391023, 33.140040),
                          (132, 15.810380, 2.207421, 15.580818)])
def test_holt_winters_airline_from_one_origin(airline: np.ndarray, stop: int,
                                              reference_rmse: float, reference_mape: float,
                                              equations_rmse: float) -> None:
    """Holt-Winters (additive trend, multiplicative season), fitted on the first ``stop`` months.

    The fit is the reference's exactly: statsmodels' own forecast reproduces the reference.
    That forecast (statsmodels <= 0.15) uses a season-old seasonal factor at steps 12 and 24
    (statsmodels issue #9538, fixed by PR #10230); ``EtsFit.forecast`` follows Hyndman's
    equations, so it agrees at every other step and gives 33.14 (24 months) / 15.58 (12).
    """
    horizon = 144 - stop
    truth = airline[stop:]
    fit = fit_ets(airline[:stop], 12, trend="add", seasonal="mul")
    assert fit.label == "ETS(A,A,M)"
    ours = fit.forecast(airline, np.array([stop]), horizon)
    assert ours.shape == (1, horizon)
    statsmodels_forecast = np.asarray(fit.results.forecast(horizon))
    other_steps = (np.arange(1, horizon + 1) % 12) != 0
    np.testing.assert_allclose(ours[0, other_steps], statsmodels_forecast[other_steps],
                               rtol=1e-10)
    assert forecast_metrics(truth, ours[0])["rmse"] == pytest.approx(equations_rmse, abs=0.01)
    if not np.allclose(ours[0], statsmodels_forecast):  # statsmodels with issue #9538
        metrics = forecast_metrics(truth, statsmodels_forecast)
        assert metrics["rmse"] == pytest.approx(reference_rmse, abs=0.01)
        assert metrics["mape"] == pytest.approx(reference_mape, abs=0.01)


def test_airline_model_24_months_from_one_origin(airline: np.ndarray, airline_model_120) -> None:
    """Reference: theta -0.343, Theta -0.541, RMSE 43.177, MAPE 8.515. The RMSE moves by about
    0.05 per 0.001 of Theta, which is the optimizer's tolerance, hence abs=0.1."""
    fit = airline_model_120
    assert fit.label == "SARIMA(0,1,1)(0,1,1)12 on log"
    theta, seasonal_theta = np.asarray(fit.results.params)[:2]
    assert theta == pytest.approx(-0.343, abs=0.002)
    assert seasonal_theta == pytest.approx(-0.541, abs=0.002)
    predictions = fit.forecast(airline, np.array([120]), 24)
    metrics = forecast_metrics(airline[120:], predictions[0])
    assert metrics["rmse"] == pytest.approx(43.177, abs=0.1)
    assert metrics["mape"] == pytest.approx(8.515, abs=0.05)


def test_airline_model_one_step_with_fixed_parameters(airline: np.ndarray,
                                                      airline_model_120) -> None:
    """Reference 15.275897: results.apply(full series), get_prediction(start=120), exp."""
    predictions = airline_model_120.forecast(airline, np.arange(120, 144), 1)
    assert predictions.shape == (24, 1)
    assert forecast_metrics(airline[120:], predictions[:, 0])["rmse"] == (
        pytest.approx(15.276, abs=0.1))


def test_airline_model_12_months_from_one_origin(airline: np.ndarray) -> None:
    """Reference: train 132 months, theta -0.349, Theta -0.562, RMSE 18.589, MAPE 2.903."""
    fit = fit_sarima(airline[:132], (0, 1, 1), (0, 1, 1, 12), log=True)
    metrics = forecast_metrics(airline[132:], fit.forecast(airline, np.array([132]), 12)[0])
    assert metrics["rmse"] == pytest.approx(18.589, abs=0.1)
    assert metrics["mape"] == pytest.approx(2.903, abs=0.05)


# ---------------------------------------- the vectorised forecasts equal statsmodels' own


def test_sarima_forecasts_equal_statsmodels_from_each_origin(airline: np.ndarray,
                                                             airline_model_120) -> None:
    rows = np.array([120, 127, 135])
    ours = airline_model_120.forecast(airline, rows, 5)
    results = airline_model_120.results
    expected = np.stack([np.exp(results.apply(np.log(airline[:row])).forecast(5))
                         for row in rows])
    np.testing.assert_allclose(ours, expected, rtol=1e-9)


def test_ar_forecasts_equal_statsmodels(airline: np.ndarray) -> None:
    from statsmodels.tsa.ar_model import AutoReg, ar_select_order

    fit = fit_ar(airline[:120], 24)
    selected = ar_select_order(airline[:120], 24, trend=fit.trend, ic="aic")
    assert selected.ar_lags is not None and fit.lags == selected.ar_lags[-1]
    params = AutoReg(airline[:120], lags=fit.lags, trend=fit.trend).fit().params
    full = AutoReg(airline, lags=fit.lags, trend=fit.trend)
    rows = np.array([120, 130, 139])
    expected = np.stack([full.predict(params, start=row, end=row + 4, dynamic=True)
                         for row in rows])
    np.testing.assert_allclose(fit.forecast(airline, rows, 5), expected, rtol=1e-9)


@pytest.mark.parametrize("spec", [{"trend": "add", "damped": True, "seasonal": "mul"},
                                  {"trend": "add", "damped": False, "seasonal": "add"},
                                  {"trend": None, "damped": False, "seasonal": None}])
def test_ets_forecasts_equal_fixed_parameter_refits(airline: np.ndarray,
                                                    spec: dict[str, object]) -> None:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    fit = fit_ets(airline[:120], 12, **spec)  # type: ignore[arg-type]
    p = fit.params
    rows = np.array([120, 129, 140])
    expected = []
    for row in rows:
        known = {"initial_level": p["initial_level"]}
        fixed = {"smoothing_level": p["smoothing_level"]}
        if spec["trend"]:
            known["initial_trend"] = p["initial_trend"]
            fixed["smoothing_trend"] = p["smoothing_trend"]
        if spec["damped"]:
            fixed["damping_trend"] = p["damping_trend"]
        if spec["seasonal"]:
            known["initial_seasonal"] = p["initial_seasons"]
            fixed["smoothing_seasonal"] = p["smoothing_seasonal"]
        model = ExponentialSmoothing(
            airline[:row], trend=spec["trend"], damped_trend=spec["damped"],
            seasonal=spec["seasonal"], seasonal_periods=12 if spec["seasonal"] else None,
            initialization_method="known", **known)
        expected.append(model.fit(optimized=False, **fixed).forecast(3))
    np.testing.assert_allclose(fit.forecast(airline, rows, 3), np.stack(expected), rtol=1e-10)


# --------------------------------------------------------------------------- the contract


def test_forecasts_use_only_history_and_training_parameters() -> None:
    series = _quarterly()
    fit_stop, horizon = 64, 3
    rows = np.arange(fit_stop, len(series) - horizon + 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecasts, notes = classical_forecasts(series, fit_stop, rows, horizon, 4)
    assert not caught, [str(w.message) for w in caught]  # statsmodels' warnings stay inside
    names = [f.name for f in forecasts]
    assert names == ["ar", "ar_seasonal", "ar_log", "ets", "sarima", "sarima_raw"], notes
    for forecast in forecasts:
        assert forecast.predictions.shape == (len(rows), horizon)
        assert np.all(np.isfinite(forecast.predictions)) and forecast.seconds >= 0
    labels = {f.name: f.label for f in forecasts}
    assert labels["sarima"].startswith("SARIMA(") and ")4 on log" in labels["sarima"]

    # The test rows from window 5's first target on, times 100: windows 0..5 must not move
    # (their history is untouched and the parameters come from rows before fit_stop only).
    changed = series.copy()
    changed[rows[5]:] *= 100.0
    again, _ = classical_forecasts(changed, fit_stop, rows, horizon, 4)
    assert [f.label for f in again] == [f.label for f in forecasts]
    for before, after in zip(forecasts, again, strict=True):
        np.testing.assert_allclose(after.predictions[:6], before.predictions[:6], rtol=1e-9,
                                   err_msg=before.name)
        assert not np.allclose(after.predictions[6:], before.predictions[6:])


def test_a_constant_series_is_skipped_with_notes_not_raised() -> None:
    forecasts, notes = classical_forecasts(np.full(60, 5.0), 48, np.arange(48, 60), 1, 4)
    reported = {f.name for f in forecasts} | {note.split(":")[0] for note in notes}
    assert set(METHODS) <= reported <= set(ENTRIES)
    assert any(note.startswith("ar: skipped") for note in notes)
    for forecast in forecasts:
        np.testing.assert_allclose(forecast.predictions, 5.0)


def test_negative_history_for_a_log_model_is_a_note() -> None:
    series = _quarterly()
    series[64:] *= -1.0  # positive training rows (log chosen), negative history later
    forecasts, notes = classical_forecasts(series, 64, np.arange(64, 80), 1, 4)
    assert "sarima" not in {f.name for f in forecasts}
    assert any(note.startswith("sarima: skipped") and "<= 0" in note for note in notes)
    with pytest.raises(ValueError, match="strictly positive"):
        fit_sarima(-_quarterly(), (0, 1, 1), (0, 1, 1, 4), log=True)


def test_too_short_or_missing_values_skip_every_method() -> None:
    forecasts, notes = classical_forecasts(_quarterly()[:8], 6, np.arange(6, 8), 1, 4)
    skipped = [note.split(":")[0] for note in notes]
    assert forecasts == [] and set(METHODS) <= set(skipped) <= set(ENTRIES), notes
    holed = _quarterly()
    holed[3] = np.nan
    forecasts, notes = classical_forecasts(holed, 64, np.arange(64, 80), 1, 4)
    assert forecasts == [] and all("missing" in note for note in notes)


def test_import_is_cheap() -> None:
    code = ("import sys, lstm_automl.baselines.classical; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('statsmodels', 'tensorflow', 'keras', 'jax', 'mlflow', 'pandas')]; "
            "print(heavy); assert not heavy")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


# ------------------------------------------- variants chosen on validation, never on test


def _growth(n: int = 120, seed: int = 1) -> np.ndarray:
    """Multiplicative growth: 4 % a step with AR(1) noise on the log scale."""
    rng = np.random.default_rng(seed)
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.6 * noise[t - 1] + rng.normal(0, 0.08)
    return 10 * np.exp(0.04 * np.arange(n) + noise)


def _seasonal_ar(n: int = 60, seed: int = 0) -> np.ndarray:
    """y[t] = 0.95 y[t - 12] + noise: everything is in the seasonal lag."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    y[:12] = rng.normal(0, 3, 12)
    for t in range(12, n):
        y[t] = 0.95 * y[t - 12] + rng.normal(0, 0.5)
    return y


def _entry_rmse(forecasts, name: str, series: np.ndarray, rows: np.ndarray) -> float:
    chosen = {f.name: f for f in forecasts}[name]
    return forecast_metrics(series[rows], chosen.predictions[:, 0])["rmse"]


def test_the_ar_log_entry_beats_ar_on_a_multiplicative_series() -> None:
    series, rows = _growth(), np.arange(100, 120)
    forecasts, notes = classical_forecasts(series, 100, rows, 1, None, validation_start=80)
    labels = {f.name: f.label for f in forecasts}
    assert "log" not in labels["ar"] and " on log" in labels["ar_log"], (labels, notes)
    assert labels["ar"] == fit_ar_on(series, 100, "none", None, "plain").label
    ar_log = _entry_rmse(forecasts, "ar_log", series, rows)
    assert ar_log < 0.9 * _entry_rmse(forecasts, "ar", series, rows)


def test_the_ar_seasonal_entry_reaches_lags_the_order_search_cannot() -> None:
    series, rows = _seasonal_ar(n=56), np.arange(44, 56)  # 44 rows: ar's lags stop at 11
    forecasts, notes = classical_forecasts(series, 44, rows, 1, 12, validation_start=36)
    labels = {f.name: f.label for f in forecasts}
    assert "+ lags 12, 13" in labels["ar_seasonal"], (labels, notes)
    assert "+ lags" not in labels["ar"] and "ar_log" not in labels  # not a positive series
    seasonal = _entry_rmse(forecasts, "ar_seasonal", series, rows)
    assert seasonal < 0.5 * _entry_rmse(forecasts, "ar", series, rows)


def test_the_entries_main_had_are_fitted_as_before(airline: np.ndarray) -> None:
    """``ar`` and ``sarima`` keep their configuration rule (AIC on every row before the test,
    plain lags, the airline family on log), so their numbers do not move."""
    fit_stop, rows = 120, np.arange(120, 144)
    forecasts, _ = classical_forecasts(airline, fit_stop, rows, 1, 12, validation_start=96,
                                       transform="log")
    by_name = {f.name: f for f in forecasts}
    ar = fit_ar(airline[:fit_stop], 24)
    assert by_name["ar"].label == ar.label and not ar.seasonal_lags
    np.testing.assert_allclose(by_name["ar"].predictions, ar.forecast(airline, rows, 1))
    airline_model = fit_sarima(airline[:fit_stop], (0, 1, 1), (0, 1, 1, 12), log=True)
    assert by_name["sarima"].label == airline_model.label  # the lowest AIC of the family here


def test_seasonal_lags_forecast_as_statsmodels_does() -> None:
    from statsmodels.tsa.ar_model import AutoReg

    series = _seasonal_ar(n=80)
    fit = fit_ar_on(series, 60, "none", 12)
    assert fit.seasonal_lags == (12, 13)
    full = AutoReg(series, lags=fit.lag_list, trend=fit.trend)
    rows = np.array([60, 66, 75])
    expected = np.stack([full.predict(fit.params, start=row, end=row + 4, dynamic=True)
                         for row in rows])
    np.testing.assert_allclose(fit.forecast(series, rows, 5), expected, rtol=1e-9)


@pytest.mark.parametrize(("make", "season"), [(_growth, None), (_quarterly, 4)])
def test_the_test_rows_never_change_which_configuration_is_chosen(make, season) -> None:
    series = make()
    fit_stop = len(series) - 16
    rows = np.arange(fit_stop, len(series))
    kwargs = {"validation_start": fit_stop - 16, "transform": "log_diff"}
    forecasts, _ = classical_forecasts(series, fit_stop, rows, 1, season, **kwargs)
    assert {"ar_log", "ar_transform"} <= {f.name for f in forecasts}
    garbage = series.copy()
    garbage[fit_stop:] = np.random.default_rng(5).uniform(1.0, 1e4, len(rows))
    again, _ = classical_forecasts(garbage, fit_stop, rows, 1, season, **kwargs)
    assert [f.label for f in again] == [f.label for f in forecasts]
    for before, after in zip(forecasts, again, strict=True):  # window 0 sees no test row
        np.testing.assert_allclose(after.predictions[0], before.predictions[0], rtol=1e-9)


def test_the_verdict_names_the_log_model() -> None:
    from lstm_automl.results.verdict import judge

    series, rows = _growth(), np.arange(100, 120)
    forecasts, _ = classical_forecasts(series, 100, rows, 1, None, validation_start=80)
    metrics = {f.name: forecast_metrics(series[rows], f.predictions[:, 0]) for f in forecasts}
    labels = {f.name: f.label for f in forecasts}
    verdict = judge({"rmse": 1e9}, metrics, "rmse", False, labels)
    assert verdict.baseline in labels and labels[verdict.baseline].count(" on log") == 1
    assert f"{verdict.baseline} ({labels[verdict.baseline]})" in verdict.sentence()
    assert "on log" in verdict.named


def test_a_spent_budget_still_fits_one_candidate_per_family_and_says_so() -> None:
    series = _quarterly()
    rows = np.arange(64, 80)
    forecasts, notes = classical_forecasts(series, 64, rows, 1, 4, budget_s=0.0,
                                           validation_start=52, transform="log")
    assert [f.name for f in forecasts] == ["ar", "ar_seasonal", "ar_log", "ets", "sarima",
                                           "sarima_log"], notes  # no time for a season
    labels = {f.name: f.label for f in forecasts}
    assert labels["sarima"].startswith("ARIMA(") and " on " not in labels["sarima"]
    assert " on log" in labels["sarima_log"]
    for method in ("ets", "sarima", "sarima_log"):
        assert any(n.startswith(f"{method}: search capped by the time budget") for n in notes)


def test_ar_on_log_differences_is_integrated_back_from_the_last_observed_level(
        airline: np.ndarray) -> None:
    from statsmodels.tsa.ar_model import AutoReg

    fit = fit_ar_on(airline, 120, "log_diff", 12)
    assert fit.label.endswith(" on log differences") and fit.origin == 1
    changes = np.diff(np.log(airline))  # changes[i] is the change into row i + 1
    full = AutoReg(changes, lags=fit.lag_list if fit.seasonal_lags else fit.lags,
                   trend=fit.trend)
    rows = np.array([120, 131])
    expected = []
    for row in rows:  # forecast the changes into rows row .. row + 3, then add them up
        steps = full.predict(fit.params, start=row - 1, end=row + 2, dynamic=True)
        expected.append(np.exp(np.log(airline[row - 1]) + np.cumsum(steps)))
    np.testing.assert_allclose(fit.forecast(airline, rows, 4), np.stack(expected), rtol=1e-9)
