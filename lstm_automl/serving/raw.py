"""Raw data in, predictions in original units out: the preprocessing a registered model carries.

A sweep writes a small JSON spec (columns, window, transform, scalers, classes) next to the Keras
model; the pyfunc loader rebuilds the exact training-time preprocessing from it. NumPy and pandas
only, so the same code runs in ``mlflow models serve`` and in ``lstm-sweep predict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.errors import RawInputError


def forecast_spec(data: Any) -> dict[str, Any]:
    """What a forecasting model needs to accept raw history (see ``ForecastData``).

    ``targets`` only where several columns are forecast (the target scaler then has one column
    per target, and the output one block of ``horizon`` steps per target)."""
    spec = {
        "task": "forecast", "target": data.target, "features": list(data.features),
        "time_column": data.time_column, "lookback": data.lookback, "horizon": data.horizon,
        "transform": data.transform.kind, "lag": data.transform.lag,
        "feature_scaler": data.feature_scaler.to_dict(),
        "target_scaler": data.target_scaler.to_dict(),
    }
    times = getattr(data, "time_index", None)  # how predict parses and checks the history
    if times is not None:
        spec.update(time_format=times.time_format, time_freq=times.freq)
    if len(getattr(data, "targets", [])) > 1:
        spec["targets"] = list(data.targets)
    if getattr(data, "calendar", None):  # cycles derived from the history's time column
        spec["calendar"] = list(data.calendar)
    if getattr(data, "seasonal_lag", 0):  # each target one season earlier, as extra channels
        spec["seasonal_lag"] = int(data.seasonal_lag)
    return spec


def _targets(spec: dict[str, Any]) -> list[str]:
    return list(spec.get("targets") or [spec["target"]])


def sequence_spec(data: Any) -> dict[str, Any]:
    """What a classification or regression model needs to accept raw sequences."""
    spec: dict[str, Any] = {
        "task": data.task, "channels": list(data.channels), "steps": data.steps,
        "masked": data.masked, "case_column": data.case_column, "time_column": data.time_column,
        "label": data.label_name, "scaler": data.scaler.to_dict(), "classes": list(data.classes),
        "positions": data.positions, "binary": data.binary,
    }
    if getattr(data, "target_scaler", None) is not None:
        spec["target_scaler"] = data.target_scaler.to_dict()
    return spec


def scale_values(values: np.ndarray, scaler: dict[str, Any]) -> np.ndarray:
    """Raw values onto the scale the network was trained on (the spec's stored scaler)."""
    return (values - np.asarray(scaler["offset"])) / np.asarray(scaler["scale"])


def unscale_values(values: np.ndarray, scaler: dict[str, Any], column: int = 0) -> np.ndarray:
    """The network's outputs for ``column`` back in original units."""
    return values * scaler["scale"][column] + scaler["offset"][column]


def row_name(frame: pd.DataFrame, position: int) -> str:
    """How a message names the row at ``position`` of ``frame``: by its place in the input as
    sent (``request_checks.checked_table`` numbers rows 0, 1, ... before any sorting)."""
    return f"data row {int(frame.index[position]) + 1} (the first row after the header is 1)"


def numeric_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A request's column as finite floats; a missing column or a bad cell is one line naming
    the row as sent."""
    if column not in frame.columns:
        raise RawInputError(f"column '{column}' is missing; the model needs: "
                            f"{', '.join(map(str, frame.attrs.get('needed', [column])))}")
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise RawInputError(f"column '{column}', {row_name(frame, bad[0])}: "
                            f"{frame[column].iloc[bad[0]]!r} is not a finite number")
    return values


def forecast_input(spec: dict[str, Any], frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The scaled window, and each target's levels (rows x targets) to rebuild forecasts on."""
    targets = _targets(spec)
    needed = list(dict.fromkeys([*spec["features"], *targets]))
    from lstm_automl.data.time_index import history_in_order  # defers pydantic

    time_column, cycles = spec.get("time_column"), spec.get("calendar") or []
    if cycles and time_column not in frame.columns:
        raise RawInputError(f"column '{time_column}' is missing; the model derives its calendar "
                            f"inputs ({', '.join(cycles)}) from it")
    frame, times = history_in_order(frame, spec)  # parsed, in order, once, evenly spaced
    frame = frame.copy()
    frame.attrs["needed"] = needed
    lag, season_lag, lookback = spec["lag"], int(spec.get("seasonal_lag") or 0), spec["lookback"]
    rows = lookback + lag + season_lag
    if len(frame) < rows:
        extra = f" + {lag} for differencing" if lag else ""
        extra += f" + {season_lag} for the seasonal lag" if season_lag else ""
        raise RawInputError(f"{len(frame)} rows of history are too few: the model needs the last "
                            f"{rows} rows (lookback {lookback}{extra})")
    frame = frame.tail(rows)
    levels, changed = [], {}
    for name in targets:
        target = numeric_column(frame, name)
        if spec["transform"].startswith("log"):
            if np.any(target <= 0):
                raise RawInputError(f"column '{name}', {row_name(frame, np.argmax(target <= 0))}: "
                                    f"must be > 0 (the model works on logs)")
            target = np.log(target)
        levels.append(target)
        changed[name] = target[lag:] - target[:-lag] if lag else target
    columns = [changed[column][season_lag:] if column in changed
               else numeric_column(frame, column)[lag + season_lag:] for column in spec["features"]]
    window = scale_values(np.column_stack(columns), spec["feature_scaler"])
    extra = [scale_values(changed[name][:lookback], one_target_scaler(spec["target_scaler"], j))
             for j, name in enumerate(targets)] if season_lag else []
    if cycles:
        from lstm_automl.data.calendar import calendar_channels  # defers pydantic

        assert times is not None
        extra.extend(calendar_channels(times[-lookback:], spec["time_freq"], cycles).T)
    if extra:
        window = np.column_stack([window, *extra])
    return window[None].astype(np.float32), np.column_stack(levels)


def one_target_scaler(scaler: dict[str, Any], column: int) -> dict[str, Any]:
    """The part of a per-column scaler for one column."""
    return {"offset": scaler["offset"][column], "scale": scaler["scale"][column]}


def forecast_output(spec: dict[str, Any], predicted: np.ndarray,
                    levels: np.ndarray) -> pd.DataFrame:
    """One row: ``<target>_h1 .. <target>_hH`` for each target, in original units."""
    horizon, lag = spec["horizon"], spec["lag"]
    flat = np.asarray(predicted, dtype=np.float64)[0]
    values: list[float] = []
    names: list[str] = []
    for j, name in enumerate(_targets(spec)):
        changes = unscale_values(flat[j * horizon:(j + 1) * horizon], spec["target_scaler"], j)
        own = levels[:, j]
        out = changes.copy()
        if lag:
            for k in range(len(changes)):
                base = own[len(own) - lag + k] if k < lag else out[k - lag]
                out[k] = base + changes[k]
        values.extend(np.exp(out) if spec["transform"].startswith("log") else out)
        names.extend(f"{name}_h{h}" for h in range(1, horizon + 1))
    return pd.DataFrame([values], columns=names)


def case_values(spec: dict[str, Any], frame: pd.DataFrame,
                case_column: str) -> tuple[pd.DataFrame, np.ndarray]:
    """A long request's rows with each case's steps in time order (where the training table
    had a time column and the request sends it), and its channels as floats (rows x channels).
    """
    time_column = spec.get("time_column")
    if time_column and time_column in frame.columns:
        from lstm_automl.data.time_index import ordered_cases  # defers pydantic

        frame = ordered_cases(frame, case_column, time_column)
    return frame, np.column_stack([numeric_column(frame, c) for c in spec["channels"]])


def _sequences(spec: dict[str, Any], frame: pd.DataFrame) -> tuple[list[Any], list[np.ndarray]]:
    """(case ids, raw sequences) from a long table (with the case column) or a wide one."""
    case_column = spec.get("case_column") or "case_id"
    channels = spec["channels"]
    frame = frame.copy()
    frame.attrs["needed"] = channels
    if case_column in frame.columns:
        frame, values = case_values(spec, frame, case_column)
        ids, cases = [], []
        for case, rows in frame.groupby(case_column, sort=False).indices.items():
            ids.append(case)
            cases.append(values[rows])
        return ids, cases
    if len(channels) != 1:
        raise RawInputError(f"give one row per time step with a '{case_column}' column and the "
                            f"channels {', '.join(channels)}")
    steps = [c for c in frame.columns if c not in (spec.get("label"), case_column)]
    wide = frame[steps].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    cases = []
    for position, row in enumerate(wide):
        length = len(row)
        while length and np.isnan(row[length - 1]):
            length -= 1
        if length == 0 or not np.isfinite(row[:length]).all():
            raise RawInputError(f"{row_name(frame, position)}: missing, infinite or non-numeric "
                                f"values inside the sequence")
        cases.append(row[:length, None])
    return list(frame.index), cases


def sequence_input(spec: dict[str, Any], frame: pd.DataFrame) -> tuple[np.ndarray, list[Any]]:
    ids, cases = _sequences(spec, frame)
    steps = spec["steps"]
    x = np.zeros((len(cases), steps, len(spec["channels"])), dtype=np.float32)
    for i, case in enumerate(cases):
        if len(case) > steps or (not spec["masked"] and len(case) != steps):
            need = f"at most {steps}" if spec["masked"] else f"exactly {steps}"
            raise RawInputError(f"sequence {ids[i]!r} has {len(case)} steps; the model takes "
                                f"{need}")
        x[i, :len(case)] = scale_values(case, spec["scaler"])
    return x, ids


def sequence_output(spec: dict[str, Any], predicted: np.ndarray, ids: list[Any]) -> pd.DataFrame:
    predicted = np.asarray(predicted, dtype=np.float64)
    if spec["task"] == "regress":
        values = unscale_values(predicted.reshape(-1), spec["target_scaler"])
        return pd.DataFrame({"case": ids, "prediction": values})
    classes = spec["classes"]
    if spec["positions"]:
        guess = predicted.argmax(axis=-1)
        data = {f"label_{k}": [classes[g] for g in guess[:, k]] for k in range(spec["positions"])}
        return pd.DataFrame({"case": ids, **data})
    probs = np.column_stack([1 - predicted[:, 0], predicted[:, 0]]) if spec["binary"] \
        else predicted
    frame = pd.DataFrame({"case": ids, "label": [classes[i] for i in probs.argmax(axis=1)]})
    for i, name in enumerate(classes):
        frame[f"p_{name}"] = probs[:, i]
    return frame


def prepared(step: Callable[..., Any], spec: dict[str, Any], frame: pd.DataFrame) -> Any:
    """``step(spec, frame)``, any failure of pandas on a hostile table (unorderable times,
    unhashable case ids, ...) turned into a ``RawInputError`` that names it."""
    try:
        return step(spec, frame)
    except RawInputError:
        raise
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RawInputError(f"the table cannot be read as the model's input: {first}") from None


def input_example(spec: dict[str, Any], data: Any) -> pd.DataFrame:
    """A raw input the model accepts: recent history, or one training sequence."""
    if spec["task"] == "forecast":
        end = int(data.splits["test"].index[0])
        # a blend's classical members read the history from the series' first row
        rows = end if spec.get("blend") else (
            spec["lookback"] + spec["lag"] + int(spec.get("seasonal_lag") or 0))
        frame = pd.DataFrame({c: data.columns[c][end - rows:end] for c in
                              dict.fromkeys([*spec["features"], *_targets(spec)])})
        if spec.get("time_column") and data.time_values:
            frame.insert(0, spec["time_column"], data.time_values[end - rows:end])
        return frame
    case = data.raw["test"][0] * 1.0
    channels = spec["channels"]
    frame = pd.DataFrame(case, columns=channels)
    frame.insert(0, spec.get("case_column") or "case_id", 0)
    if spec.get("time_column"):
        frame.insert(1, spec["time_column"], np.arange(len(case)))
    return frame
