"""A detector's raw history in, one score and flag per row out (``task: detect``).

Each row that has ``lookback`` rows (and what a transform or seasonal lag needs) before it is
forecast from them exactly as a forecaster's request would be (``raw.forecast_input``; the
windows are built at once over the whole history, not row by row), in batched calls; its score
is the absolute error of that forecast in original units and its flag says whether the score
reaches the threshold chosen on validation. The first rows have no history to be forecast from:
they get no score and flag 0. A sequence autoencoder (``data.scorer: autoencoder``) instead
rebuilds every window of ``lookback`` rows, and each row, the first ones included, is scored by
its mean absolute reconstruction error over the windows covering it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from lstm_automl.errors import RawInputError
from lstm_automl.serving import raw
from lstm_automl.serving.model_call import predict_windows


def detect_spec(data: Any) -> dict[str, Any]:
    """The forecaster's spec plus the label name and the threshold (``DetectData``)."""
    spec = raw.forecast_spec(data)
    assert data.threshold is not None, "calibrate the threshold before saving"
    spec.update(task="detect", label=data.label, threshold=float(data.threshold.value),
                threshold_rule=data.threshold.rule)
    if getattr(data, "scaled", None) is not None:  # data/reconstruction.py
        spec["scorer"] = "autoencoder"
    return spec


def history_rows(spec: dict[str, Any]) -> int:
    """Rows of history before the first row that can be scored."""
    return int(spec["lookback"]) + int(spec["lag"]) + int(spec.get("seasonal_lag") or 0)


def history_windows(spec: dict[str, Any], ordered: pd.DataFrame,
                    times: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(scaled windows, level before each forecast) of every row that can be scored, built
    once over the whole history: window ``k`` is the one ``raw.forecast_input`` builds from
    the ``history_rows`` rows before row ``history_rows + k`` (a test checks they agree).
    The level is the transformed target ``lag`` rows before the forecast row (0 without
    differencing)."""
    lag, season_lag, lookback = int(spec["lag"]), int(spec.get("seasonal_lag") or 0), \
        int(spec["lookback"])
    name, need = spec["target"], history_rows(spec)
    target = raw.numeric_column(ordered, name)
    if spec["transform"].startswith("log"):
        if np.any(target <= 0):
            where = raw.row_name(ordered, int(np.argmax(target <= 0)))
            raise RawInputError(f"column '{name}', {where}: must be > 0 (the model works on "
                                f"logs)")
        target = np.log(target)
    changed = target[lag:] - target[:-lag] if lag else target  # aligned to rows lag..
    start = lag + season_lag  # the first row every channel has a value for
    columns = [changed[season_lag:] if column == name
               else raw.numeric_column(ordered, column)[start:] for column in spec["features"]]
    channels = [raw.scale_values(np.column_stack(columns), spec["feature_scaler"])]
    if season_lag:  # the target one season before each row, on the target's scale
        channels.append(raw.scale_values(changed[:len(changed) - season_lag],
                                         raw.one_target_scaler(spec["target_scaler"], 0))[:, None])
    cycles = spec.get("calendar") or []
    if cycles:
        from lstm_automl.data.calendar import calendar_channels  # defers pydantic

        assert times is not None
        channels.append(calendar_channels(times[start:], spec["time_freq"], cycles))
    aligned = np.column_stack(channels)
    count = len(ordered) - need
    windows = sliding_window_view(aligned, lookback, axis=0)[:count].transpose(0, 2, 1)
    rows = np.arange(need, len(ordered))
    levels = target[rows - lag] if lag else np.zeros(count)
    return windows.astype(np.float32), levels


def detect_rows(spec: dict[str, Any], model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Per row, in time order: the time (if any), the value, its forecast, score and flag."""
    from lstm_automl.data.time_index import history_in_order  # defers pydantic

    time_column, cycles = spec.get("time_column"), spec.get("calendar") or []
    if cycles and time_column not in frame.columns:
        raise RawInputError(f"column '{time_column}' is missing; the model derives its calendar "
                            f"inputs ({', '.join(cycles)}) from it")
    ordered, times = raw.prepared(lambda s, f: history_in_order(f, s), spec, frame)
    ordered = ordered.copy()
    ordered.attrs["needed"] = list(dict.fromkeys([*spec["features"], spec["target"]]))
    if spec.get("scorer") == "autoencoder":
        return _with_time(rebuilt_rows(spec, model, ordered), ordered, time_column)
    need = history_rows(spec)
    if len(ordered) <= need:
        raise RawInputError(f"{len(ordered)} rows of history are too few: the first row with a "
                            f"score is row {need + 1} (the model forecasts each row from the "
                            f"{need} before it)")
    windows, levels = raw.prepared(lambda s, f: history_windows(s, f, times), spec, ordered)
    change = raw.unscale_values(np.asarray(predict_windows(model, windows), np.float64)[:, 0],
                                spec["target_scaler"])
    forecast = levels + change if int(spec["lag"]) else change
    if spec["transform"].startswith("log"):
        forecast = np.exp(forecast)
    actual = raw.numeric_column(ordered, spec["target"])
    scores = np.full(len(ordered), np.nan)
    scores[need:] = np.abs(actual[need:] - forecast)
    forecasts = np.full(len(ordered), np.nan)
    forecasts[need:] = forecast
    out = pd.DataFrame({spec["target"]: actual, "forecast": forecasts, "score": scores,
                        "flag": (np.nan_to_num(scores, nan=-np.inf) >= spec["threshold"])
                        .astype(np.int64)})
    return _with_time(out, ordered, time_column)


def _with_time(out: pd.DataFrame, ordered: pd.DataFrame, time_column: str | None) -> pd.DataFrame:
    if time_column and time_column in ordered.columns:
        out.insert(0, time_column, ordered[time_column].to_numpy())
    return out


def rebuilt_rows(spec: dict[str, Any], model: Any, ordered: pd.DataFrame) -> pd.DataFrame:
    """``scorer: autoencoder``: every window of ``lookback`` rows rebuilt at once; a row's score
    is its mean absolute reconstruction error over the windows covering it (every row has one),
    as the sweep scored the test split (``data/window_errors.py``)."""
    from lstm_automl.data.window_errors import (  # defers pydantic (lstm_automl.data's init)
        covered_mean,
        row_scores,
        unflattened,
        windows_at,
    )

    lookback, features, target = int(spec["lookback"]), spec["features"], spec["target"]
    if len(ordered) < lookback:
        raise RawInputError(f"{len(ordered)} rows of history are too few: the autoencoder "
                            f"rebuilds windows of {lookback} rows")
    scaled = raw.scale_values(np.column_stack([raw.numeric_column(ordered, c) for c in features]),
                              spec["feature_scaler"])
    starts = np.arange(len(ordered) - lookback + 1)
    windows = windows_at(scaled, starts, lookback)
    rebuilt = unflattened(predict_windows(model, windows), windows)
    scores = row_scores(starts, windows, rebuilt, len(ordered))
    if target in features:
        channel = features.index(target)
        again = raw.unscale_values(covered_mean(starts, rebuilt[:, :, channel], len(ordered)),
                                   spec["feature_scaler"], channel)
    else:
        again = np.full(len(ordered), np.nan)
    return pd.DataFrame({target: raw.numeric_column(ordered, target), "reconstruction": again,
                         "score": scores, "flag": (scores >= spec["threshold"]).astype(np.int64)})


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
