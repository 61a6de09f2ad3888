"""Target transforms: exact inversion, no leakage, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import write_series_csv
from lstm_automl.baselines.transforms import TargetTransform
from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data import prepare_forecast
from lstm_automl.errors import DataError


@pytest.mark.parametrize("kind", ["none", "log", "diff", "log_diff", "seasonal_diff",
                                  "log_seasonal_diff"])
@pytest.mark.parametrize("horizon", [1, 3, 9])
def test_true_targets_invert_to_the_original_series(tmp_path, kind, horizon):
    write_series_csv(tmp_path, rows=80)
    config = ForecastDataConfig(source="series.csv", target="value", time_column="day",
                                lookback=5, horizon=horizon, transform=kind, season=7,
                                split={"validation": 12, "test": 12})
    data = prepare_forecast(config, tmp_path)
    for windows in data.splits.values():
        expected = data.series[windows.target_rows[:, None] + np.arange(horizon)]
        restored = data.inverse_target(windows.y.astype(np.float64), windows.target_rows)
        np.testing.assert_allclose(restored, expected, rtol=1e-5)


def test_differenced_windows_start_after_the_first_row(tmp_path):
    write_series_csv(tmp_path, rows=40)
    config = ForecastDataConfig(source="series.csv", target="value", lookback=5, transform="diff",
                        split={"validation": 5, "test": 5})
    data = prepare_forecast(config, tmp_path)
    assert data.splits["train"].target_rows[0] == 6
    assert np.isfinite(data.splits["train"].x).all()


def test_log_refuses_non_positive_values(tmp_path):
    path = write_series_csv(tmp_path, rows=40)
    text = path.read_text().splitlines()
    text[3] = text[3].split(",")[0] + ",0,1"
    path.write_text("\n".join(text) + "\n")
    config = ForecastDataConfig(source="series.csv", target="value", lookback=5, transform="log")
    with pytest.raises(DataError, match=r"series.csv: column 'value'.*> 0.*row 4"):
        prepare_forecast(config, tmp_path)


def test_transform_scaler_sees_only_training_rows(tmp_path):
    path = write_series_csv(tmp_path, rows=60)
    config = ForecastDataConfig(source="series.csv", target="value", lookback=5,
                                transform="log_diff", split={"validation": 10, "test": 10})
    before = prepare_forecast(config, tmp_path).target_scaler
    lines = path.read_text().splitlines()
    for i in range(len(lines) - 10, len(lines)):
        day, _, other = lines[i].split(",")
        lines[i] = f"{day},{1e6},{other}"
    path.write_text("\n".join(lines) + "\n")
    after = prepare_forecast(config, tmp_path).target_scaler
    np.testing.assert_array_equal(before.offset, after.offset)
    np.testing.assert_array_equal(before.scale, after.scale)


def test_multi_step_inverse_accumulates_changes():
    transform = TargetTransform.fit("diff", np.array([10.0, 12.0, 15.0, 11.0]))
    restored = transform.inverse(np.array([[1.0, 2.0, -1.0]]), np.array([1]))
    np.testing.assert_allclose(restored, [[11.0, 13.0, 12.0]])


def test_seasonal_difference_needs_a_season(tmp_path):
    write_series_csv(tmp_path, rows=40, name="s.csv")
    lines = (tmp_path / "s.csv").read_text().splitlines()
    lines = [lines[0]] + [f"{i},{line.split(',', 1)[1]}" for i, line in enumerate(lines[1:])]
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n")
    config = ForecastDataConfig(source="s.csv", target="value", time_column="day", lookback=3,
                                transform="seasonal_diff")
    with pytest.raises(DataError, match="needs a season length: set data.season"):
        prepare_forecast(config, tmp_path)


@pytest.mark.parametrize("fill, expected", [("ffill", 11.0), ("interpolate", 12.0)])
def test_missing_values_are_filled_only_when_asked(tmp_path, fill, expected):
    rows = ["t,v"] + [f"{i},{10 + i if i != 2 else ''}" for i in range(40)]
    (tmp_path / "gap.csv").write_text("\n".join(rows) + "\n")
    strict = ForecastDataConfig(source="gap.csv", target="v", time_column="t", lookback=3)
    with pytest.raises(DataError, match=r"column 'v', row 4: missing.*data.fill"):
        prepare_forecast(strict, tmp_path)
    filled = prepare_forecast(strict.model_copy(update={"fill": fill}), tmp_path)
    assert filled.series[2] == expected


def test_split_by_time_value(tmp_path):
    config = ForecastDataConfig(source="builtin:airline", lookback=12,
                                split={"validation": "1957-01", "test": "1959-01"})
    data = prepare_forecast(config, tmp_path)
    assert data.split_rows == {"train": (0, 96), "validation": (96, 120), "test": (120, 144)}
    bad = ForecastDataConfig.model_validate({**config.model_dump(), "split": {"test": "1990-01"}})
    with pytest.raises(DataError, match="no row at or after '1990-01'"):
        prepare_forecast(bad, tmp_path)
