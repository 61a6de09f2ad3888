"""The detector's serving builds every window of a history at once; each must be the window a
forecaster's request builds from the rows before it (``raw.forecast_input``), with the
transform, seasonal lag and calendar channels the forecaster has. No Keras: windows and the
arithmetic that maps an output back to original units are compared directly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data.forecast import prepare_forecast
from lstm_automl.data.time_index import history_in_order
from lstm_automl.serving import raw
from lstm_automl.serving.detect import history_rows, history_windows


def _series(folder) -> pd.DataFrame:
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(96)]
    sales = [100 + i + 20 * math.sin(2 * math.pi * i / 12) for i in range(96)]
    other = [5 + math.cos(i / 3) for i in range(96)]
    frame = pd.DataFrame({"month": months, "sales": np.round(sales, 3), "temp": other})
    frame.to_csv(folder / "m.csv", index=False)
    return frame


@pytest.mark.parametrize("keys", [
    {"transform": "none"},
    {"transform": "log_diff", "seasonal_lag": "season", "calendar": "auto",
     "features": ["sales", "temp"]},
    {"transform": "seasonal_diff", "scaling": "minmax"},
])
def test_history_windows_are_the_forecaster_s_windows(tmp_path, keys):
    frame = _series(tmp_path)
    config = ForecastDataConfig(source="m.csv", target="sales", time_column="month",
                                lookback=6, split={"validation": 12, "test": 12}, **keys)
    spec = raw.forecast_spec(prepare_forecast(config, tmp_path))
    history = frame.iloc[::-1]  # any row order: both put it in time order
    ordered, times = history_in_order(history, spec)
    windows, levels = history_windows(spec, ordered, times)
    need = history_rows(spec)
    assert len(windows) == len(frame) - need
    rng = np.random.default_rng(0)
    for k in (0, 7, len(windows) - 1):
        window, level = raw.forecast_input(spec, ordered.iloc[k:k + need])
        np.testing.assert_allclose(windows[k], window[0], rtol=1e-6, atol=1e-6)
        output = rng.normal(size=(1, 1))
        expected = raw.forecast_output(spec, output, level).iloc[0, 0]
        change = raw.unscale_values(output[0, 0], spec["target_scaler"])
        got = (levels[k] + change) if spec["lag"] else change
        got = math.exp(got) if spec["transform"].startswith("log") else got
        assert got == pytest.approx(expected, rel=1e-9)
