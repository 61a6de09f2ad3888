"""A blended model's forecast from raw history: the network's, plus its classical members'.

``final_model.blend: with_baselines`` stores each classical member's fixed parameters in the
spec (``data/classical_spec.py``). Each one forecasts the next ``horizon`` rows from the whole
history the caller sends, as the baseline forecast each test window from the series' rows
before it; sent from the series' first row, the served forecast is the one the sweep measured.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.errors import RawInputError


def blended(spec: dict[str, Any], frame: pd.DataFrame, network: pd.DataFrame) -> pd.DataFrame:
    """``network`` (one row of ``<target>_h1..hH``, original units) weighted and summed with
    each classical member's forecast of the same steps."""
    from lstm_automl.tracking.serving import prepared

    blend = spec["blend"]
    history = prepared(_target_history, spec, frame)
    values = float(blend["network_weight"]) * network.to_numpy(dtype=np.float64)[0]
    for member in blend["classical"]:
        values = values + float(member["weight"]) * _member_forecast(member, history,
                                                                      int(spec["horizon"]))
    return pd.DataFrame([values], columns=network.columns)


def _target_history(spec: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """The target column in time order, original units."""
    from lstm_automl.data.time_index import ordered_history
    from lstm_automl.tracking.serving import _numeric

    return _numeric(ordered_history(frame, spec), spec["target"])


def _member_forecast(member: dict[str, Any], history: np.ndarray, horizon: int) -> np.ndarray:
    from lstm_automl.data.classical_spec import from_spec

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
