"""Calendar and seasonal-lag input channels (data.calendar, data.seasonal_lag): the values for
known dates, what each window may read, and the refusals."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data import prepare_forecast
from lstm_automl.data.calendar import calendar_channels, cycle_values, cycles_for
from lstm_automl.errors import DataError


def _dates(*texts: str) -> np.ndarray:
    return np.array(texts, dtype="datetime64[us]")


def test_month_of_known_dates_as_sin_and_cos():
    values = cycle_values(_dates("1949-01-01", "1949-04-01", "1949-07-01", "1949-12-01"),
                          ["month"])
    np.testing.assert_allclose(values[0], [0.0, 1.0], atol=1e-6)  # January: phase 0
    np.testing.assert_allclose(values[1], [1.0, 0.0], atol=1e-6)  # April: a quarter turn
    np.testing.assert_allclose(values[2], [0.0, -1.0], atol=1e-6)  # July: half a turn
    angle = 2 * math.pi * 11 / 12  # December sits next to January
    np.testing.assert_allclose(values[3], [math.sin(angle), math.cos(angle)], atol=1e-6)


def test_day_of_week_and_hour_of_known_dates():
    monday, thursday = cycle_values(_dates("2024-01-01", "2024-01-04"), ["day_of_week"])
    np.testing.assert_allclose(monday, [0.0, 1.0], atol=1e-6)
    angle = 2 * math.pi * 3 / 7
    np.testing.assert_allclose(thursday, [math.sin(angle), math.cos(angle)], atol=1e-6)
    six = cycle_values(_dates("2024-01-01T06:00"), ["hour"])[0]
    np.testing.assert_allclose(six, [1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("freq, cycles", [
    ("MS", ["month"]), ("ME", ["month"]), ("M@15", ["month"]), ("QS", ["quarter"]),
    ("YS", []), ("24MS", []), ("2ME", ["month"]), ("W", ["week_of_year"]),
    ("D", ["day_of_week", "month"]),
    ("B", ["day_of_week", "month"]), ("h", ["hour", "day_of_week"]),
    ("15min", ["time_of_day", "day_of_week"]), ("every 1", []), (None, []),
])
def test_the_frequency_picks_the_cycles(freq, cycles):
    assert cycles_for(freq) == cycles


def test_each_row_carries_the_calendar_of_the_step_after_it():
    """December's row says January (the month it forecasts); a Friday's business day, Monday."""
    np.testing.assert_allclose(calendar_channels(_dates("1948-12-01"), "MS", ["month"])[0],
                               [0.0, 1.0], atol=1e-6)
    friday = calendar_channels(_dates("2024-01-05"), "B", ["day_of_week"])[0]
    np.testing.assert_allclose(friday, [0.0, 1.0], atol=1e-6)


def _monthly_csv(folder: Path, values: list[float], name: str = "m.csv") -> Path:
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(len(values))]
    path = folder / name
    path.write_text("month,sales\n" + "".join(f"{m},{v:.4f}\n" for m, v in
                                              zip(months, values, strict=True)))
    return path


def _series(n: int = 96) -> list[float]:
    return [100 + i + 20 * math.sin(2 * math.pi * i / 12) for i in range(n)]


def _config(**extra) -> ForecastDataConfig:
    return ForecastDataConfig(source="m.csv", target="sales", time_column="month", lookback=6,
                              horizon=2, split={"validation": 12, "test": 12}, **extra)


def test_windows_get_the_target_months_calendar_and_the_lag(tmp_path):
    _monthly_csv(tmp_path, _series())
    data = prepare_forecast(_config(calendar="auto", seasonal_lag="season"), tmp_path)
    assert data.extra_channels == ["sales_lag12", "calendar_month_sin", "calendar_month_cos"]
    assert data.model_shape().n_features == 4 and data.model_shape().target_channel == 0
    train = data.splits["train"]
    assert int(train.index[0]) == 6 + 12  # the lag reads 12 rows before the window
    last_rows = cycle_values(data.time_index.times[train.index], ["month"])
    np.testing.assert_allclose(train.x[:, -1, 2:], last_rows, atol=1e-6)  # first target month
    # the lag channel is the target channel one season (12 windows) earlier
    np.testing.assert_allclose(train.x[12:, :, 1], train.x[:-12, :, 0], atol=1e-6)
    assert np.abs(train.x[:, :, 2:]).max() <= 1.0  # calendar channels are not rescaled


def test_no_window_reads_the_series_after_its_origin(tmp_path):
    _monthly_csv(tmp_path, _series())
    config = _config(calendar="auto", seasonal_lag="season")
    before = prepare_forecast(config, tmp_path)
    test = before.splits["test"]
    origin = int(test.index[5])
    changed = _series()
    changed[origin:] = [v * 3 for v in changed[origin:]]  # the future, inside the test split
    _monthly_csv(tmp_path, changed)
    after = prepare_forecast(config, tmp_path)
    np.testing.assert_array_equal(after.splits["test"].x[:6], test.x[:6])
    assert not np.array_equal(after.splits["test"].x[6], test.x[6])


def test_default_sweeps_keep_their_identity():
    dumped = _config().model_dump()
    assert "calendar" not in dumped and "seasonal_lag" not in dumped
    assert _config(calendar="auto").model_dump()["calendar"] == "auto"


def test_calendar_and_lag_are_searched_as_data_variants():
    config = _config(calendar={"choice": ["none", "auto"]},
                     seasonal_lag={"choice": ["none", "season"]})
    assert config.searched_data() == {"calendar": ["none", "auto"],
                                      "seasonal_lag": ["none", "season"]}


@pytest.mark.parametrize("csv, data, message", [
    ("step,sales\n" + "".join(f"{i},{i % 5}\n" for i in range(60)),
     "time_column: step", "data.calendar 'auto' needs dates, but the time column holds numbers"),
    ("sales\n" + "".join(f"{i % 5}\n" for i in range(60)),
     "lookback: 4", "data.calendar 'auto' needs a time column of dates; set data.time_column"),
    ("year,sales\n" + "".join(f"{1900 + i}-01,{i % 5}\n" for i in range(60)),
     "time_column: year", "YS (yearly, month start) times have no calendar cycle"),
])
def test_validate_refuses_a_calendar_it_cannot_derive(tmp_path, capsys, csv, data, message):
    (tmp_path / "d.csv").write_text(csv)
    path = write_sweep(tmp_path, f"""
name: cal
data: {{source: d.csv, target: sales, {data}, calendar: {{choice: [none, auto]}}}}
search: {{units: 4}}
""")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_validate_refuses_a_seasonal_lag_without_a_season(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("step,sales\n" + "".join(f"{i},{i % 5}\n"
                                                              for i in range(60)))
    path = write_sweep(tmp_path, """
name: cal
data: {source: d.csv, target: sales, time_column: step, seasonal_lag: season}
search: {units: 4}
""")
    assert main(["validate", str(path)]) == 2
    assert "data.seasonal_lag 'season' needs a season length: set data.season" in \
        capsys.readouterr().err


def test_validate_refuses_a_calendar_for_whole_sequences(tmp_path, capsys):
    path = write_sweep(tmp_path, """
name: cal
data: {source: "generate:adding", task: regress, calendar: auto}
search: {units: 4}
""")
    assert main(["validate", "--no-data", str(path)]) == 2
    err = capsys.readouterr().err
    assert "data.calendar" in err and "forecast" in err


def test_too_short_a_series_names_the_seasonal_lag(tmp_path):
    _monthly_csv(tmp_path, _series(40))
    with pytest.raises(DataError, match=r"lookback 6 \+ horizon 2 \+ seasonal lag 12 need at "
                                        r"least 20 training rows"):
        prepare_forecast(_config(seasonal_lag="season"), tmp_path)


def test_the_json_schema_knows_the_names(capsys):
    import json

    from jsonschema import Draft202012Validator

    assert main(["schema"]) == 0
    validator = Draft202012Validator(json.loads(capsys.readouterr().out))

    def errors(data: dict) -> list[str]:
        document = {"name": "c", "data": {"source": "builtin:airline", **data},
                    "search": {"units": 4}}
        return [e.message for e in validator.iter_errors(document)]

    assert errors({"calendar": {"choice": ["none", "auto"]}, "seasonal_lag": "season"}) == []
    assert errors({"calendar": "monthly"}) and errors({"seasonal_lag": {"choice": [True]}})


@pytest.mark.parametrize("freq, text", [
    ("MS", "%Y-%m"), ("QS", "%Y-%m-%d"), ("D", "%Y-%m-%d"), ("B", "%Y-%m-%d"),
    ("h", "%Y-%m-%d %H:%M"), ("15min", "%Y-%m-%dT%H:%M"), ("W-SUN", "%Y-%m-%d"),
])
def test_the_registered_models_inputs_match_the_sweeps(tmp_path, freq, text):
    """What the pyfunc builds from a raw history (times as text, shuffled) is the sweep's own
    last test window, calendar and lag channels included, for every frequency."""
    import pandas as pd

    from lstm_automl.serving.raw import forecast_input, forecast_spec

    stamps = pd.date_range("2023-12-25", periods=240, freq=freq)
    values = 50 + np.arange(240) % 9 + np.sin(np.arange(240) / 3)
    frame = pd.DataFrame({"t": stamps.strftime(text), "y": values.round(4)})
    frame.to_csv(tmp_path / "s.csv", index=False)
    data = prepare_forecast(ForecastDataConfig(
        source="s.csv", target="y", time_column="t", lookback=5, horizon=2, transform="diff",
        calendar="auto", seasonal_lag="season", split={"validation": 20, "test": 20}), tmp_path)
    test = data.splits["test"]
    end = int(test.index[-1])
    history = frame.iloc[:end].sample(frac=1.0, random_state=1)
    window, _ = forecast_input(forecast_spec(data), history)
    np.testing.assert_allclose(window[0], test.x[-1], atol=1e-5)


def test_recursive_multi_step_refuses_fixed_extra_channels(tmp_path, capsys):
    """``multi_step: recursive`` feeds its forecast back as the only input channel."""
    path = write_sweep(tmp_path, """
name: cal
data: {source: builtin:airline, lookback: 12, horizon: 2, calendar: auto}
search: {units: 4, multi_step: recursive}
""")
    assert main(["validate", "--no-data", str(path)]) == 2
    assert "search.multi_step: recursive needs the target as the only input channel; " \
           "data.calendar adds others" in capsys.readouterr().err
    searched = write_sweep(tmp_path, """
name: cal
data: {source: builtin:airline, lookback: 12, horizon: 2,
       seasonal_lag: {choice: [none, season]}}
search: {units: 4, multi_step: recursive}
""", "searched.yaml")
    assert main(["validate", "--no-data", str(searched)]) == 0
    assert "recursive has no effect in trials with data.seasonal_lag season" in \
        capsys.readouterr().out


def test_each_target_gets_its_own_lag_channel_in_the_pyfunc_too(tmp_path):
    import pandas as pd

    from lstm_automl.serving.raw import forecast_input, forecast_spec

    months = pd.date_range("2001-01-01", periods=90, freq="MS").strftime("%Y-%m")
    frame = pd.DataFrame({"m": months, "a": 10 + np.arange(90) % 12 * 1.5,
                          "b": 300 - np.arange(90) % 5 * 7.0})
    frame.to_csv(tmp_path / "two.csv", index=False)
    data = prepare_forecast(ForecastDataConfig(
        source="two.csv", target=["a", "b"], time_column="m", lookback=4, horizon=2,
        transform="log", calendar="auto", seasonal_lag="season",
        split={"validation": 12, "test": 12}), tmp_path)
    assert data.extra_channels[:2] == ["a_lag12", "b_lag12"]
    test = data.splits["test"]
    window, _ = forecast_input(forecast_spec(data), frame.iloc[:int(test.index[-1])])
    np.testing.assert_allclose(window[0], test.x[-1], atol=1e-5)
