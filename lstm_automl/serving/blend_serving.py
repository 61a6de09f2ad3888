"""A blended model's forecast from raw history: the network's, plus its classical members'.

``final_model.blend: with_baselines`` stores each classical member's fixed parameters in the
spec (``baselines/classical_spec.py``). Each one forecasts the next ``horizon`` rows from the whole
history the caller sends, as the baseline forecast each test window from the series' rows
before it; sent from the series' first row, the served forecast is the one the sweep measured.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.baselines.classical_spec import from_spec
from lstm_automl.errors import RawInputError
from lstm_automl.serving.raw import numeric_column, prepared


def blended(spec: dict[str, Any], frame: pd.DataFrame, network: pd.DataFrame) -> pd.DataFrame:
    """``network`` (one row of ``<target>_h1..hH``, original units) weighted and summed with
    each classical member's forecast of the same steps."""
    blend = spec["blend"]
    history = prepared(_target_history, spec, frame)
    values = float(blend["network_weight"]) * network.to_numpy(dtype=np.float64)[0]
    for member in blend["classical"]:
        values = values + float(member["weight"]) * _member_forecast(member, history,
                                                                      int(spec["horizon"]))
    return pd.DataFrame([values], columns=network.columns)


def _target_history(spec: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """The target column in time order, original units; refused unless it starts at the
    series' first row (a seasonal ETS or a SARIMA filtered from elsewhere forecasts
    differently, and an AR with a trend counts rows from there)."""
    from lstm_automl.data.time_index import ordered_history  # defers pydantic

    blend, ordered = spec["blend"], ordered_history(frame, spec)
    needed = int(blend.get("history_rows") or 0)
    if len(ordered) < needed:
        raise RawInputError(f"{len(ordered)} rows of history are too few for this blended "
                            f"model: its classical members forecast from the series' first row; "
                            f"send the series from its start (at least the {needed} rows they "
                            f"were fitted on)")
    column, first = spec.get("time_column"), blend.get("first_time")
    if column and first and column in ordered.columns and len(ordered):
        start = ordered[column].iloc[0]
        if not _same_time(start, first):
            raise RawInputError(f"column '{column}': the history starts at {start}, but this "
                                f"blended model's classical members forecast from the series' "
                                f"first row, {first}; send the series from its start")
    return numeric_column(ordered, spec["target"])


def _same_time(value: Any, first: str) -> bool:
    """Whether a history's first time is the series' first (as text, or as parsed times)."""
    if str(value).strip() == first.strip():
        return True
    try:
        return bool(pd.Timestamp(str(value)) == pd.Timestamp(first))
    except (ValueError, TypeError):
        return False


def _member_forecast(member: dict[str, Any], history: np.ndarray, horizon: int) -> np.ndarray:
    model = from_spec(member["model"])
    try:
        forecast = model.forecast(history, np.array([len(history)]), horizon)[0]
    except ValueError as exc:
        raise RawInputError(f"the blend's member {member['name']} ({member['label']}) cannot "
                            f"forecast from these {len(history)} rows of history: {exc}; send "
                            f"the series from its first row") from None
    if not np.all(np.isfinite(forecast)):
        raise RawInputError(f"the blend's member {member['name']} ({member['label']}) gave a "
                            f"non-finite forecast from this history")
    return forecast


__all__ = ["blended"]
