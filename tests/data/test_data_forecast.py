"""Forecast data: chronological splits, train-only scaling, windows, errors, metrics."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from conftest import write_series_csv
from lstm_automl.config.builtin import datasets_dir
from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data import prepare_forecast
from lstm_automl.data.metrics import forecast_metrics, seasonal_naive_forecast
from lstm_automl.errors import DataError


def _config(**fields: object) -> ForecastDataConfig:
    return ForecastDataConfig.model_validate(fields)


def _airline(horizon: int = 1, **fields: object):
    return prepare_forecast(
        _config(source="builtin:airline", lookback=12, horizon=horizon,
                split={"validation": 24}, **fields),
        Path("."),
    )


def _write_csv(folder: Path, header: list[str], rows: list[list[object]],
               name: str = "data.csv") -> Path:
    path = folder / name
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --------------------------------------------------------------------------- airline


def test_airline_splits_and_window_shapes():
    data = _airline()
    assert data.split_rows == {"train": (0, 96), "validation": (96, 120), "test": (120, 144)}
    facts = data.summary()
    assert (facts["train_rows"], facts["validation_rows"], facts["test_rows"]) == (96, 24, 24)
    assert facts["test_range"] == "1959-01..1960-12"
    assert facts["validation_range"] == "1957-01..1958-12"
    assert facts["train_range"] == "1949-01..1956-12"
    shapes = {name: (w.x.shape, w.y.shape) for name, w in data.splits.items()}
    assert shapes == {
        "train": ((84, 12, 1), (84, 1)),
        "validation": ((24, 12, 1), (24, 1)),
        "test": ((24, 12, 1), (24, 1)),
    }
    assert data.target == "passengers" and data.features == ["passengers"]
    assert data.season == 12 and len(data.series) == 144


def test_airline_test_split_matches_published_holdout_file():
    data = _airline()
    with (datasets_dir() / "airline_test.csv").open() as handle:
        published = [float(r["passengers"]) for r in csv.DictReader(handle)]
    assert len(published) == 24
    start, stop = data.split_rows["test"]
    np.testing.assert_array_equal(data.series[start:stop], published)


def test_horizon_three_targets_stay_inside_their_split():
    data = _airline(horizon=3)
    for name, windows in data.splits.items():
        start, stop = data.split_rows[name]
        assert windows.y.shape == (len(windows.x), 3)
        assert len(windows.x) > 0
        assert np.all(windows.target_rows >= start), name
        assert np.all(windows.target_rows + 3 <= stop), name
    assert len(data.splits["train"].x) == 96 - 12 - 3 + 1
    assert len(data.splits["validation"].x) == 24 - 3 + 1
    assert len(data.splits["test"].x) == 24 - 3 + 1


@pytest.mark.parametrize("scaling", ["standard", "minmax", "none"])
def test_windows_line_up_with_the_series(scaling: str):
    data = _airline(horizon=3, scaling=scaling)
    for windows in data.splits.values():
        for i, p in enumerate(windows.target_rows):
            x = data.feature_scaler.inverse(windows.x[i].astype(np.float64))[:, 0]
            np.testing.assert_allclose(x, data.series[p - 12:p], rtol=1e-5)
            np.testing.assert_allclose(data.inverse_target(windows.y[i].astype(np.float64)),
                                       data.series[p:p + 3], rtol=1e-5)


@pytest.mark.parametrize("scaling", ["standard", "minmax", "none"])
def test_inverse_target_round_trips(scaling: str):
    data = _airline(horizon=2, scaling=scaling)
    for windows in data.splits.values():
        rows = windows.target_rows[:, None] + np.arange(2)
        np.testing.assert_allclose(data.inverse_target(windows.y), data.series[rows], rtol=1e-5)
    scaled = data.target_scaler.transform(data.series[:, None])[:, 0]
    np.testing.assert_allclose(data.inverse_target(scaled), data.series, rtol=1e-12)
    if scaling == "standard":
        train = data.target_scaler.transform(data.series[:96, None])
        assert abs(train.mean()) < 1e-9 and abs(train.std() - 1) < 1e-9
    if scaling == "minmax":
        train = data.target_scaler.transform(data.series[:96, None])
        assert train.min() == pytest.approx(0) and train.max() == pytest.approx(1)


# --------------------------------------------------------------------------- no leakage

N_TRAIN, N_VAL, N_TEST = 60, 20, 20


def _leak_csv(folder: Path, name: str, huge: bool) -> Path:
    """value: train < 100, validation 1000+, test 1e6 (huge) or 3000+; row: the row number."""
    rows = []
    for i in range(N_TRAIN + N_VAL + N_TEST):
        if i < N_TRAIN:
            value = 10 + (i % 7)
        elif i < N_TRAIN + N_VAL:
            value = 1000 + i
        else:
            value = 1e6 + i if huge else 3000 + i
        rows.append([f"{1900 + i}", value, i])
    return _write_csv(folder, ["year", "value", "row"], rows, name)


def _leak_config(source: str, scaling: str) -> ForecastDataConfig:
    return _config(source=source, target="value", features=["value", "row"], time_column="year",
                   lookback=5, horizon=2, split={"validation": N_VAL, "test": N_TEST},
                   scaling=scaling)


@pytest.mark.parametrize("scaling", ["standard", "minmax"])
def test_scalers_are_fitted_on_training_rows_only(scaling: str, isolated_workdir: Path):
    _leak_csv(isolated_workdir, "huge.csv", huge=True)
    _leak_csv(isolated_workdir, "normal.csv", huge=False)
    huge = prepare_forecast(_leak_config("huge.csv", scaling), isolated_workdir)
    normal = prepare_forecast(_leak_config("normal.csv", scaling), isolated_workdir)
    assert huge.series.max() > 1e6 and normal.series.max() < 1e4
    for attr in ("feature_scaler", "target_scaler"):
        a, b = getattr(huge, attr), getattr(normal, attr)
        assert a.kind == b.kind == scaling
        np.testing.assert_array_equal(a.offset, b.offset)
        np.testing.assert_array_equal(a.scale, b.scale)
    train_values = huge.series[:N_TRAIN]
    if scaling == "standard":
        assert huge.target_scaler.offset[0] == pytest.approx(train_values.mean())
        assert huge.target_scaler.scale[0] == pytest.approx(train_values.std())
    else:
        assert huge.target_scaler.offset[0] == pytest.approx(train_values.min())
        assert huge.target_scaler.scale[0] == pytest.approx(np.ptp(train_values))
    np.testing.assert_array_equal(huge.splits["train"].x, normal.splits["train"].x)
    np.testing.assert_array_equal(huge.splits["train"].y, normal.splits["train"].y)


@pytest.mark.parametrize("scaling", ["none", "standard"])
def test_training_windows_never_see_validation_or_test_rows(scaling: str, isolated_workdir: Path):
    _leak_csv(isolated_workdir, "huge.csv", huge=True)
    data = prepare_forecast(_leak_config("huge.csv", scaling), isolated_workdir)
    train = data.splits["train"]
    x = data.feature_scaler.inverse(train.x.astype(np.float64))
    y = data.inverse_target(train.y.astype(np.float64))
    assert len(train.x) == N_TRAIN - 5 - 2 + 1
    assert x[:, :, 0].max() < 100 and y.max() < 100          # value markers
    assert np.rint(x[:, :, 1]).max() <= N_TRAIN - 1            # row markers
    assert train.target_rows.max() + 2 <= N_TRAIN
    validation = data.splits["validation"]
    y_val = data.inverse_target(validation.y.astype(np.float64))
    assert (y_val >= 1000).all() and (y_val < 1e4).all()
    y_test = data.inverse_target(data.splits["test"].y.astype(np.float64))
    assert (y_test >= 1e6).all()


# --------------------------------------------------------------------------- row order


def test_shuffled_rows_are_sorted_by_time_column(isolated_workdir: Path):
    rows = [[str(date(2020, 1, 1) + timedelta(days=i)), float(i), i % 3] for i in range(60)]
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    assert shuffled != rows
    _write_csv(isolated_workdir, ["day", "value", "other"], shuffled)
    data = prepare_forecast(
        _config(source="data.csv", target="value", time_column="day", lookback=3,
                split={"validation": 10, "test": 10}),
        isolated_workdir,
    )
    np.testing.assert_array_equal(data.series, np.arange(60, dtype=float))
    assert data.time_values == [r[0] for r in rows]
    # without a time column the file order is kept
    unordered = prepare_forecast(
        _config(source="data.csv", target="value", lookback=3,
                split={"validation": 10, "test": 10}),
        isolated_workdir,
    )
    np.testing.assert_array_equal(unordered.series, [r[1] for r in shuffled])
    assert unordered.time_values is None


def test_numeric_time_column_sorts_as_numbers(isolated_workdir: Path):
    years = list(range(95, 125))  # 95..124: text order would put 100 before 95
    rows = [[str(y), float(y)] for y in reversed(years)]
    _write_csv(isolated_workdir, ["year", "value"], rows)
    data = prepare_forecast(
        _config(source="data.csv", target="value", time_column="year", lookback=2,
                split={"validation": 5, "test": 5}),
        isolated_workdir,
    )
    np.testing.assert_array_equal(data.series, np.array(years, dtype=float))


def test_duplicate_time_values_are_refused(isolated_workdir: Path):
    path = write_series_csv(isolated_workdir, rows=40)
    lines = path.read_text().splitlines()
    lines[10] = lines[3].split(",")[0] + "," + lines[10].split(",", 1)[1]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        prepare_forecast(_config(source="series.csv", target="value", time_column="day",
                                 lookback=3, split={"validation": 5, "test": 5}),
                         isolated_workdir)
    message = str(caught.value)
    assert str(path) in message and "'day'" in message and "repeats" in message


# --------------------------------------------------------------------------- errors


def _prepare_series(folder: Path, **fields: object):
    config = {"source": "series.csv", "target": "value", "time_column": "day", "lookback": 5,
              "split": {"validation": 10, "test": 10}}
    config.update(fields)
    return prepare_forecast(_config(**config), folder)


def _set_cell(path: Path, line: int, text: str) -> None:
    lines = path.read_text().splitlines()
    day, _, other = lines[line - 1].split(",")
    lines[line - 1] = f"{day},{text},{other}"
    path.write_text("\n".join(lines) + "\n")


def test_unknown_target_column(isolated_workdir: Path):
    path = write_series_csv(isolated_workdir, rows=60)
    with pytest.raises(DataError) as caught:
        _prepare_series(isolated_workdir, target="price")
    message = str(caught.value)
    assert str(path) in message and "'price'" in message and "day, value, other" in message


def test_unknown_feature_column(isolated_workdir: Path):
    path = write_series_csv(isolated_workdir, rows=60)
    with pytest.raises(DataError) as caught:
        _prepare_series(isolated_workdir, features=["value", "volume"])
    message = str(caught.value)
    assert str(path) in message and "data.features" in message and "'volume'" in message


@pytest.mark.parametrize("text", ["", "nan", "NaN", "inf"])
def test_missing_or_non_finite_cell(text: str, isolated_workdir: Path):
    path = write_series_csv(isolated_workdir, rows=60)
    _set_cell(path, 12, text)
    with pytest.raises(DataError) as caught:
        _prepare_series(isolated_workdir)
    message = str(caught.value)
    assert str(path) in message and "column 'value'" in message and "row 12" in message


def test_row_numbers_are_the_lines_an_editor_shows_after_blank_lines(isolated_workdir: Path):
    """Blank lines (skipped when read) and a quoted cell over two lines move the rows down: a
    message names the line where the bad row is, not its count of data rows plus the header."""
    path = write_series_csv(isolated_workdir, rows=60)
    lines = path.read_text().splitlines()
    lines[5:5] = ["", ""]  # two blank lines before the 5th data row
    day, _, other = lines[9].split(",")
    lines[9] = f'{day},1.5,"{other}\nmore"'  # a quoted cell spans lines 10 and 11
    day, _, other = lines[20].split(",")
    lines[20] = f"{day},12;5,{other}"  # file line 22 after the quoted cell's extra line
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        _prepare_series(isolated_workdir)
    assert "column 'value', row 22: '12;5' is not a number" in str(caught.value)


def test_a_repeated_time_names_both_lines_after_a_blank_line(isolated_workdir: Path):
    path = write_series_csv(isolated_workdir, rows=60)
    lines = path.read_text().splitlines()
    lines[8] = lines[7]  # data rows 7 and 8 (file lines 8 and 9) share a day
    lines[3:3] = [""]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        _prepare_series(isolated_workdir)
    assert "rows 9 and 10" in str(caught.value), str(caught.value)


def test_non_numeric_cell(isolated_workdir: Path):
    path = write_series_csv(isolated_workdir, rows=60)
    _set_cell(path, 20, "12;5")
    with pytest.raises(DataError) as caught:
        _prepare_series(isolated_workdir)
    message = str(caught.value)
    assert str(path) in message and "column 'value'" in message and "row 20" in message
    assert "'12;5' is not a number" in message


@pytest.mark.parametrize("fields", [
    {"lookback": 41},                                   # train 40 < lookback 41 + horizon 1
    {"lookback": 5, "horizon": 11},                     # validation 10 < horizon 11
    {"split": {"validation": 0.5, "test": 0.5}},        # nothing left to train on
])
def test_too_short(fields: dict, isolated_workdir: Path):
    path = write_series_csv(isolated_workdir, rows=60)
    with pytest.raises(DataError) as caught:
        _prepare_series(isolated_workdir, **fields)
    message = str(caught.value)
    assert str(path) in message and "too few" in message


def test_exactly_long_enough(isolated_workdir: Path):
    write_series_csv(isolated_workdir, rows=60)
    data = _prepare_series(isolated_workdir, lookback=39)   # train 40 = lookback 39 + horizon 1
    assert len(data.splits["train"].x) == 1


def test_missing_file_and_csv_without_target(isolated_workdir: Path):
    with pytest.raises(DataError, match="not found") as caught:
        prepare_forecast(_config(source="absent.csv", target="v"), isolated_workdir)
    assert str(isolated_workdir / "absent.csv") in str(caught.value)
    path = write_series_csv(isolated_workdir, rows=60)
    with pytest.raises(DataError, match="data.target is required") as caught:
        prepare_forecast(_config(source="series.csv"), isolated_workdir)
    assert str(path) in str(caught.value)


def test_unknown_builtin_lists_available():
    with pytest.raises(DataError) as caught:
        prepare_forecast(_config(source="builtin:mnist"), Path("."))
    message = str(caught.value)
    assert "'mnist'" in message
    for name in ("builtin:airline", "builtin:sunspots", "builtin:nile"):
        assert name in message


# --------------------------------------------------------------------------- metrics


def test_forecast_metrics_hand_example():
    metrics = forecast_metrics(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 2.0, 2.0]))
    # errors 1, 0, -1, -2
    assert metrics["rmse"] == pytest.approx(np.sqrt(6 / 4))
    assert metrics["mae"] == pytest.approx(1.0)
    assert metrics["mape"] == pytest.approx((1 / 1 + 0 + 1 / 3 + 2 / 4) / 4 * 100)
    two_d = forecast_metrics(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[2.0, 2.0], [2.0, 2.0]]))
    assert two_d == pytest.approx(metrics)
    with_zero = forecast_metrics(np.array([0.0, 2.0]), np.array([1.0, 2.0]))
    assert "mape" not in with_zero and with_zero["mae"] == pytest.approx(0.5)


def test_seasonal_naive_on_airline_published_holdout():
    with (datasets_dir() / "airline.csv").open() as handle:
        series = np.array([float(r["passengers"]) for r in csv.DictReader(handle)])
    assert len(series) == 144
    origin = 120
    predicted = np.array([series[origin - 12 + (k % 12)] for k in range(24)])
    metrics = forecast_metrics(series[origin:], predicted)
    assert round(metrics["rmse"], 2) == 76.99
    assert round(metrics["mae"], 2) == 71.25
    assert round(metrics["mape"], 2) == 15.52
    library = seasonal_naive_forecast(series, np.array([origin]), horizon=24, season=12)
    np.testing.assert_array_equal(library[0], predicted)
