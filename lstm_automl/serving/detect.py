"""A detector's raw history in, one score and flag per row out (``task: detect``).

Each row that has ``lookback`` rows (and what a transform or seasonal lag needs) before it is
forecast from them exactly as a forecaster's request would be (``raw._forecast_input``), all
windows in one batched call; its score is the absolute error of that forecast in original
units and its flag says whether the score reaches the threshold chosen on validation. The first
rows have no history to be forecast from: they get no score and flag 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.errors import RawInputError
from lstm_automl.serving import raw
from lstm_automl.serving.model_call import predict_windows


def detect_spec(data: Any) -> dict[str, Any]:
    """The forecaster's spec plus the label name and the threshold (``DetectData``)."""
    spec = raw.forecast_spec(data)
    assert data.threshold is not None, "calibrate the threshold before saving"
    spec.update(task="detect", label=data.label, threshold=float(data.threshold.value),
                threshold_rule=data.threshold.rule)
    return spec


def history_rows(spec: dict[str, Any]) -> int:
    """Rows of history before the first row that can be scored."""
    return int(spec["lookback"]) + int(spec["lag"]) + int(spec.get("seasonal_lag") or 0)


def detect_rows(spec: dict[str, Any], model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Per row, in time order: the time (if any), the value, its forecast, score and flag."""
    from lstm_automl.data.time_index import history_in_order  # defers pydantic

    ordered, _ = raw.prepared(lambda s, f: history_in_order(f, s), spec, frame)
    need = history_rows(spec)
    if len(ordered) <= need:
        raise RawInputError(f"{len(ordered)} rows of history are too few: the first row with a "
                            f"score is row {need + 1} (the model forecasts each row from the "
                            f"{need} before it)")
    forecast_spec = {**spec, "task": "forecast"}
    windows, levels = [], []
    for end in range(need, len(ordered)):
        window, level = raw.prepared(raw._forecast_input, forecast_spec,
                                     ordered.iloc[end - need:end])
        windows.append(window[0])
        levels.append(level)
    predicted = predict_windows(model, np.stack(windows))
    forecast = np.array([raw._forecast_output(forecast_spec, predicted[i:i + 1], levels[i])
                         .iloc[0, 0] for i in range(len(windows))])
    target = spec["target"]
    actual = raw._numeric(ordered, target)
    scores = np.full(len(ordered), np.nan)
    scores[need:] = np.abs(actual[need:] - forecast)
    forecasts = np.full(len(ordered), np.nan)
    forecasts[need:] = forecast
    out = pd.DataFrame({target: actual, "forecast": forecasts, "score": scores,
                        "flag": (np.nan_to_num(scores, nan=-np.inf) >= spec["threshold"])
                        .astype(np.int64)})
    time_column = spec.get("time_column")
    if time_column and time_column in ordered.columns:
        out.insert(0, time_column, ordered[time_column].to_numpy())
    return out


def detect_example(spec: dict[str, Any], data: Any, extra: int = 24) -> pd.DataFrame:
    """A raw history the detector takes: the rows before the test split, ``extra`` of them
    scored."""
    end = int(data.splits["test"].index[0])
    rows = history_rows(spec) + extra
    frame = pd.DataFrame({c: data.columns[c][end - rows:end] for c in
                          dict.fromkeys([*spec["features"], spec["target"]])})
    if spec.get("time_column") and data.time_values:
        frame.insert(0, spec["time_column"], data.time_values[end - rows:end])
    return frame
