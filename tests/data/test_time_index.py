"""Time columns: parsed as dates or numbers (never sorted as text), checked, and the season
read from their spacing; through the parser, `validate`, `run`'s data loading and predict.

Light: nothing here imports TensorFlow or MLflow (predict's checks run on the pyfunc's own
preprocessing function, before any model is involved).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data import prepare_forecast
from lstm_automl.data.time_index import index_times, ordered_history
from lstm_automl.errors import ConfigError, DataError, RawInputError
from lstm_automl.sweep_file.loader import load_sweep

SIDE_EFFECTS = ("mlflow.db", "mlruns", "mlartifacts", ".lstm_sweep")


def _months(start: int, count: int, text: str = "{y}-{m:02d}-01") -> list[str]:
    """``count`` month starts from January of ``start``, written with ``text``."""
    return [text.format(y=start + i // 12, m=1 + i % 12) for i in range(count)]


def _write(folder: Path, times: list[str], name: str = "series.csv") -> Path:
    lines = ["when,value"] + [f"{t},{10 + (i % 12) + 0.1 * i:.2f}" for i, t in enumerate(times)]
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _prepare(folder: Path, name: str = "series.csv", **fields: object):
    config = {"source": name, "target": "value", "time_column": "when", "lookback": 4,
              "split": {"validation": 6, "test": 6}, **fields}
    return prepare_forecast(ForecastDataConfig.model_validate(config), folder)


def _refused(folder: Path, times: list[str], **fields: object) -> str:
    path = _write(folder, times)
    with pytest.raises(DataError) as caught:
        _prepare(folder, **fields)
    message = str(caught.value)
    assert str(path) in message and "column 'when'" in message, message
    return message


# --------------------------------------------------------------------------- refused values


def test_us_dates_are_refused_with_a_hint_to_set_time_format(tmp_path: Path):
    message = _refused(tmp_path, _months(1949, 48, "{m}/1/{y}"))
    assert "row 2: '1/1/1949'" in message
    assert "data.time_format" in message and "%m/%d/%Y" in message and "%d/%m/%Y" in message


def test_day_first_dates_suggest_the_day_first_format(tmp_path: Path):
    times = [(date(2020, 1, 13) + timedelta(days=i)).strftime("%d/%m/%Y") for i in range(40)]
    message = _refused(tmp_path, times)
    assert "row 2: '13/01/2020'" in message and "'%d/%m/%Y'" in message


def test_us_dates_parse_in_time_order_with_time_format(tmp_path: Path):
    times = _months(1949, 48, "{m}/1/{y}")
    shuffled = times[:]
    random.Random(5).shuffle(shuffled)
    lines = ["when,value"] + [f"{t},{times.index(t)}" for t in shuffled]
    (tmp_path / "series.csv").write_text("\n".join(lines) + "\n")
    data = _prepare(tmp_path, time_format="%m/%d/%Y")
    np.testing.assert_array_equal(data.series, np.arange(48.0))  # 10/1/1949 is not before 2/1
    assert data.time_values == times
    assert data.summary()["test_range"] == "7/1/1952..12/1/1952"
    assert data.season == 12


def test_a_value_that_does_not_match_time_format_is_refused(tmp_path: Path):
    times = _months(1949, 48, "{m}/1/{y}")
    times[20] = "1951-09-01"
    message = _refused(tmp_path, times, time_format="%m/%d/%Y")
    assert "row 22: '1951-09-01'" in message and "'%m/%d/%Y'" in message


@pytest.mark.parametrize(("cell", "row", "says"), [
    ("", 9, "empty"),
    ("1952-13", 9, "'1952-13' is not a valid date"),
    ("soon", 9, "'soon' is neither a number nor an ISO date"),
    ("1949-08-01", 9, "'1949-08-01' is not written like row 2"),
    ("nan", 9, "'nan' is neither a number nor an ISO date"),
], ids=["empty", "month-13", "text", "mixed-shapes", "nan"])
def test_bad_time_cells_are_refused_naming_the_file_row(tmp_path: Path, cell: str, row: int,
                                                        says: str):
    times = _months(1949, 48, "{y}-{m:02d}")
    times[row - 2] = cell
    message = _refused(tmp_path, times)
    assert f"row {row}:" in message and says in message, message


def test_duplicate_times_name_both_rows(tmp_path: Path):
    times = _months(1949, 48)
    times[30] = times[5]
    message = _refused(tmp_path, times)
    assert "rows 7 and 32: the time 1949-06-01 repeats" in message


def test_a_gap_is_refused_naming_the_row_after_it(tmp_path: Path):
    times = [(date(2024, 1, 1) + timedelta(days=i)).isoformat() for i in range(40)]
    del times[20]  # 2024-01-21 is missing
    message = _refused(tmp_path, times)
    assert "row 22: 2024-01-22 comes 2 days after 2024-01-20" in message
    assert "1 day apart" in message and "data.fill" in message
    path = tmp_path / "series.csv"  # the fix the message gives: the row back, its value empty
    path.write_text(path.read_text() + "2024-01-21,\n")
    data = _prepare(tmp_path, fill="interpolate")
    assert data.time_values[20] == "2024-01-21" and data.season == 7
    assert data.series[20] == pytest.approx((data.series[19] + data.series[21]) / 2)


def test_a_gap_in_a_shuffled_file_names_the_files_row(tmp_path: Path):
    times = _months(1949, 48)
    del times[30]
    times.reverse()  # the file runs backwards: the row after the gap is near the top
    message = _refused(tmp_path, times)
    assert "row 18: 1951-08-01 comes 2 months after 1951-06-01 (row 19)" in message


def test_an_overflowing_number_is_refused(tmp_path: Path):
    times = [str(i) for i in range(40)]
    times[12] = "1e999"
    assert "row 14: '1e999' is too large a number" in _refused(tmp_path, times)


def test_numbers_with_an_uneven_step_are_refused(tmp_path: Path):
    times = [str(i) for i in range(40)]
    times[25:] = [str(i + 1) for i in range(25, 40)]
    message = _refused(tmp_path, times)
    assert "row 27: 26 comes 2 after 24" in message


# --------------------------------------------------------------------------- spacing -> season


def _stamps(start: datetime, step: timedelta, count: int, text: str) -> list[str]:
    return [(start + i * step).strftime(text) for i in range(count)]


SPACINGS = {
    "month-start-in-full": (_months(1958, 60), "MS", 12),
    "month-short": (_months(1958, 60, "{y}-{m:02d}"), "MS", 12),
    "month-end": ([(pd.Timestamp(y, m, 1) + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d")
                   for y in range(1990, 1995) for m in range(1, 13)], "ME", 12),
    "quarter-in-full": (_months(1990, 60, "{y}-{m:02d}-01")[::3], "QS", 4),
    "quarter-named": ([f"{1990 + i // 4}-Q{1 + i % 4}" for i in range(24)], "QS", 4),
    "year-start": ([f"{y}-01-01" for y in range(1900, 1940)], "YS", None),
    "weekly": (_stamps(datetime(2020, 1, 5), timedelta(weeks=1), 60, "%Y-%m-%d"), "W", 52),
    "daily": (_stamps(datetime(2020, 1, 1), timedelta(days=1), 60, "%Y-%m-%d"), "D", 7),
    "business-days": ([d.strftime("%Y-%m-%d") for d in pd.bdate_range("2020-01-01",
                                                                      periods=60)], "B", 5),
    "hourly": (_stamps(datetime(2020, 1, 1), timedelta(hours=1), 60, "%Y-%m-%d %H:%M"),
               "h", 24),
    "5-minute": (_stamps(datetime(2020, 1, 1), timedelta(minutes=5), 400, "%Y-%m-%dT%H:%M:%S"),
                 "5min", 288),
    "10-second": (_stamps(datetime(2020, 1, 1), timedelta(seconds=10), 60, "%Y-%m-%d %H:%M:%S"),
                  "10s", None),
    "daily-across-dst": ([d.isoformat() for d in pd.date_range(
        "2024-03-20", periods=30, freq="D", tz="Europe/Berlin")], "D", 7),
    "monthly-with-offsets": ([d.isoformat() for d in pd.date_range(
        "2024-01-01", periods=24, freq="MS", tz="Europe/Berlin")], "MS", 12),
    "hourly-across-dst": ([d.isoformat() for d in pd.date_range(
        "2024-03-30", periods=60, freq="h", tz="Europe/Berlin")], "h", 24),
    "numbers": ([str(1871 + i) for i in range(40)], "every 1", None),
    "numbers-unpadded": ([str(95 + i) for i in range(30)], "every 1", None),
}


@pytest.mark.parametrize("case", list(SPACINGS))
def test_frequency_and_season_come_from_the_spacing(case: str):
    times, freq, season = SPACINGS[case]
    index = index_times(list(reversed(times)), where="s.csv", column="when")
    assert (index.freq, index.season) == (freq, season)
    assert index.labels == times


def test_five_minute_data_through_validate_gets_the_daily_cycle(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    _write(isolated_workdir, SPACINGS["5-minute"][0])
    sweep = write_sweep(isolated_workdir, "name: m\ndata: {source: series.csv, target: value, "
                        "time_column: when, lookback: 4, split: {validation: 6, test: 6}}\n")
    assert main(["validate", str(sweep)]) == 0
    out = capsys.readouterr().out
    assert "time: 2020-01-01 00:00..2020-01-02 09:15 (400 rows)" in out
    assert "frequency: 5min (every 5 minutes)" in out
    assert "season: 288" in out


def test_monthly_dates_in_full_give_season_12_through_validate(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    _write(isolated_workdir, _months(1958, 60))
    sweep = write_sweep(isolated_workdir, "name: co2\ndata: {source: series.csv, target: value, "
                        "time_column: when, lookback: 12, split: {validation: 6, test: 6}}\n")
    assert main(["validate", str(sweep)]) == 0
    out = capsys.readouterr().out
    assert "time: 1958-01-01..1962-12-01 (60 rows)" in out
    assert "frequency: MS (monthly, month start)" in out and "season: 12" in out


def test_a_given_season_wins_over_the_spacing(tmp_path: Path):
    _write(tmp_path, _months(1958, 60))
    assert _prepare(tmp_path).season == 12
    assert _prepare(tmp_path, season=6).season == 6


def test_split_by_time_value_compares_times_not_text(tmp_path: Path):
    _write(tmp_path, [str(95 + i) for i in range(30)])  # as text, '100' sorts before '95'
    data = _prepare(tmp_path, split={"validation": "110", "test": "118"})
    assert data.summary()["test_range"] == "118..124"
    _write(tmp_path, _months(1949, 48, "{m}/1/{y}"))
    data = _prepare(tmp_path, time_format="%m/%d/%Y",
                    split={"validation": "1/1/1951", "test": "1952-01-01"})
    assert data.summary()["validation_range"] == "1/1/1951..12/1/1951"
    data = _prepare(tmp_path, time_format="%m/%d/%Y", split={"validation": "1951",
                                                             "test": "1952"})
    assert data.summary()["test_range"] == "1/1/1952..12/1/1952"  # a year: its first day
    with pytest.raises(DataError, match=r"data.split.test: 'soon' matches neither "
                                        r"data.time_format '%m/%d/%Y' nor an ISO date"):
        _prepare(tmp_path, time_format="%m/%d/%Y", split={"validation": 6, "test": "soon"})


def test_shipped_builtins_keep_their_seasons(tmp_path: Path):
    seasons = {}
    for name in ("airline", "sunspots", "nile"):
        data = prepare_forecast(ForecastDataConfig(source=f"builtin:{name}", lookback=12),
                                tmp_path)
        seasons[name] = (data.season, data.summary()["frequency"])
    assert seasons == {"airline": (12, "MS (monthly, month start)"),
                       "sunspots": (132, "MS (monthly, month start)"),
                       "nile": (None, "every 1")}


# --------------------------------------------------------------------------- the config key


@pytest.mark.parametrize(("value", "says"), [
    ("monthly", "has no % directive"),
    ("%m/%d/%Q", "'%m/%d/%Q'"),
    ("%m/%m/%Y", "'%m/%m/%Y'"),
])
def test_time_format_is_checked_when_the_file_loads(value: str, says: str, tmp_path: Path):
    sweep = write_sweep(tmp_path, f"name: t\ndata: {{source: s.csv, target: v, time_column: t, "
                                  f"time_format: '{value}'}}\n")
    with pytest.raises(ConfigError) as caught:
        load_sweep(sweep)
    message = str(caught.value)
    assert "data.time_format" in message and says in message, message


def test_time_format_unset_keeps_the_sweep_identity():
    config = ForecastDataConfig(source="builtin:airline")
    assert "time_format" not in config.model_dump()


# --------------------------------------------------------------------------- validate and run


@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_refuses_a_bad_time_column_cleanly(command: str, isolated_workdir: Path,
                                               capsys: pytest.CaptureFixture[str]):
    csv_path = _write(isolated_workdir, _months(1949, 48, "{m}/1/{y}"))
    sweep = write_sweep(isolated_workdir, "name: us\ndata: {source: series.csv, target: value, "
                        "time_column: when, lookback: 4, split: {validation: 6, test: 6}}\n"
                        "tuner: {max_trials: 1}\ntraining: {epochs: 1}\n")
    before = sorted(p.name for p in isolated_workdir.iterdir())
    assert main([command, str(sweep)]) == 2
    out, err = capsys.readouterr()
    assert f"{csv_path}: column 'when', row 2: '1/1/1949'" in err
    assert "data.time_format" in err and "Traceback" not in out + err
    assert len(err.strip().splitlines()) == 1
    for name in SIDE_EFFECTS:
        assert not (isolated_workdir / name).exists(), name
    assert sorted(p.name for p in isolated_workdir.iterdir()) == before


# --------------------------------------------------------------------------- predict


SPEC = {"time_column": "month", "time_format": None, "time_freq": "MS"}


def _history(times: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"month": times, "passengers": np.arange(len(times), dtype=float)})


def test_predict_orders_the_history_by_parsed_time():
    history = _history([str(95 + i) for i in range(10)])
    ordered = ordered_history(history.iloc[::-1], {**SPEC, "time_freq": "every 1"})
    assert list(ordered["passengers"]) == list(range(10))  # 100..104 after 95..99
    us = _history(_months(1958, 14, "{m}/1/{y}"))
    shuffled = us.sample(frac=1.0, random_state=1)
    ordered = ordered_history(shuffled, {**SPEC, "time_format": "%m/%d/%Y"})
    assert list(ordered["passengers"]) == list(range(14))


@pytest.mark.parametrize(("times", "says"), [
    (_months(1958, 6)[:3] + ["1958-02-01"] + _months(1958, 6)[3:],
     "rows 2 and 4: the time 1958-02-01 repeats"),
    (_months(1958, 6)[:2] + ["", *_months(1958, 6)[3:]], "row 3: empty"),
    (_months(1958, 6, "{m}/1/{y}"), "row 1: '1/1/1958'"),
    (_months(1958, 6)[:3] + _months(1958, 6)[4:], "row 4: 1958-05-01 comes 2 months after"),
    ([str(2000 + i) for i in range(6)], "spaced every 1, but the model was trained on MS data"),
], ids=["duplicate", "empty", "ambiguous", "gap", "other-frequency"])
def test_predict_refuses_bad_history_times(times: list[str], says: str):
    with pytest.raises(RawInputError) as caught:
        ordered_history(_history(times), SPEC)
    message = str(caught.value)
    assert "column 'month'" in message and says in message, message


def test_predict_accepts_a_parquet_datetime_column_and_old_specs():
    typed = _history(list(pd.to_datetime(_months(1958, 6))))
    assert list(ordered_history(typed.iloc[::-1], SPEC)["passengers"]) == list(range(6))
    old = {"time_column": "month"}  # a model saved before time_format and time_freq existed
    assert len(ordered_history(_history(_months(1958, 6)), old)) == 6
    assert ordered_history(_history(_months(1958, 6)), {"time_column": None}) is not None
    missing = _history(pd.array([*_months(1958, 3), None], dtype="string"))
    with pytest.raises(RawInputError, match="column 'month', row 4: empty"):
        ordered_history(missing, SPEC)


@pytest.mark.slow
@pytest.mark.usefixtures("keras_session")
def test_predict_command_refuses_repeated_times_and_orders_shuffled_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from lstm_automl.model.hypermodel import build_model
    from lstm_automl.serving.model_saving import raw_signature, save_sweep_model
    from lstm_automl.serving.pyfunc import SweepModel
    from lstm_automl.serving.raw import forecast_spec, input_example

    _write(tmp_path, _months(1949, 60, "{m}/1/{y}"))
    data = _prepare(tmp_path, time_format="%m/%d/%Y", lookback=6)
    spec = forecast_spec(data)
    assert (spec["time_format"], spec["time_freq"]) == ("%m/%d/%Y", "MS")
    model = build_model({
        "cell": "gru", "bidirectional": False, "layers": 1, "units": [2], "dropout": [0.0],
        "recurrent_dropout": [0.0], "conv_front": False, "conv_filters": None,
        "conv_kernel_size": None, "dense_layers": 0, "dense_units": [],
        "dense_activation": None, "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None}, data.model_shape(), seed=1)
    example = input_example(spec, data)
    save_sweep_model(model, tmp_path / "model", raw_signature(
        example, SweepModel(model, spec).predict(example)), [], spec, example)
    history = pd.DataFrame({"when": data.time_values[-12:], "value": data.series[-12:]})

    def predict(frame: pd.DataFrame, name: str) -> tuple[int, str, str]:
        frame.to_csv(tmp_path / name, index=False)
        rc = main(["predict", "--model", str(tmp_path / "model"), "--input",
                   str(tmp_path / name)])
        out, err = capsys.readouterr()
        return rc, out, err

    rc, ordered, _ = predict(history, "ordered.csv")
    assert rc == 0
    assert predict(history.iloc[::-1], "reversed.csv")[:2] == (0, ordered)  # 10/1 after 9/1
    repeated = history.copy()
    repeated.loc[repeated.index[5], "when"] = repeated["when"].iloc[4]
    rc, _, err = predict(repeated, "repeated.csv")
    assert rc == 2 and "repeated.csv: column 'when', rows 5 and 6: the time" in err, err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- long sequence tables


def _long_table(folder: Path, time_of: Callable[[int, int], str]) -> Path:
    lines = ["case_id,label,t,c0"] + [f"{c},{c % 2},{time_of(c, t)},{c + t / 10}"
                                      for c in range(12) for t in reversed(range(5))]
    (folder / "long.csv").write_text("\n".join(lines) + "\n")
    return folder / "long.csv"


def _sequences(folder: Path):
    from lstm_automl.config.schema import ClassifyDataConfig
    from lstm_automl.data import prepare_sequences

    return prepare_sequences(ClassifyDataConfig(
        source="long.csv", task="classify", layout="long", case_column="case_id",
        time_column="t", label="label", scaling="none"), folder, 1)


def test_long_tables_order_steps_by_parsed_time(tmp_path: Path):
    _long_table(tmp_path, lambda c, t: str(8 + t))  # as text, '10' and '11' sort before '8'
    by_number = _sequences(tmp_path)
    _long_table(tmp_path, lambda c, t: f"2024-01-{8 + t:02d} 10:00")
    by_date = _sequences(tmp_path)
    for data in (by_number, by_date):
        steps = data.raw["train"][0][:, 0]
        np.testing.assert_allclose(np.diff(steps), 0.1)  # ascending: t = 0..4


@pytest.mark.parametrize(("time_of", "says"), [
    (lambda c, t: "x" if (c, t) == (3, 2) else str(t),
     "row 19: 'x' is neither a number nor an ISO date"),
    (lambda c, t: str(min(t, 3)) if c == 3 else str(t),
     "rows 17 and 18: case '3' repeats the time 3"),
], ids=["text", "repeated-in-a-case"])
def test_long_tables_refuse_bad_times(tmp_path: Path, time_of: Callable[[int, int], str],
                                      says: str):
    path = _long_table(tmp_path, time_of)
    with pytest.raises(DataError) as caught:
        _sequences(tmp_path)
    message = str(caught.value)
    assert f"{path}: column 't', {says}" in message, message
    assert "time_format" not in message  # sequence tables have no such key


def test_a_long_prediction_table_is_ordered_by_parsed_time_not_text():
    from lstm_automl.data.time_index import ordered_cases

    frame = pd.DataFrame({"case": ["b", "a", "a", "a", "b"], "t": ["10", "9", "10", "2", "9"],
                          "x": [5.0, 3.0, 4.0, 1.0, 6.0]})
    ordered = ordered_cases(frame, "case", "t")
    assert ordered["x"].tolist() == [1.0, 3.0, 4.0, 6.0, 5.0]  # as text 10 would come before 9
    dated = pd.DataFrame({"case": [1, 1, 1], "t": ["1949-10", "1949-09", "1950-01"],
                          "x": [2.0, 1.0, 3.0]})
    assert ordered_cases(dated, "case", "t")["x"].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(("times", "message"), [
    (["1", "2", "2"], "rows 2 and 3: case 'a' repeats the time 2"),
    (["1", "", "3"], "row 2: empty"),
    (["1", "two", "3"], "row 2"),
])
def test_a_long_prediction_table_refuses_bad_times_naming_the_row(times, message):
    from lstm_automl.data.time_index import ordered_cases
    from lstm_automl.errors import RawInputError

    frame = pd.DataFrame({"case": ["a"] * 3, "t": times, "x": [1.0, 2.0, 3.0]})
    with pytest.raises(RawInputError, match=message):
        ordered_cases(frame, "case", "t")
