"""A series' raw history in, the class of the forward move after its last row out: how a model
whose classes come from a series (``data.label_from``) serves.

The history is the series as the user has it: the input columns by name and, where training
had one, the time column (it orders the rows and must be spaced as in training). The model
reads the last ``lookback`` rows and answers one row: the last row's time (where sent), the
class of the move over the ``horizon`` rows after it and each class's probability. A history
shorter than ``lookback`` rows is refused. NumPy and pandas only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.errors import RawInputError
from lstm_automl.serving.raw import numeric_column, scale_values


def forward_spec(data: Any) -> dict[str, Any]:
    """What the served model needs of a ``ForwardLabelData`` (data/forward_labels.py); the
    labelling settings travel too, so the version says what its classes mean."""
    settings = data.settings
    return {
        "task": "classify", "label_from": settings.column, "features": list(data.features),
        "lookback": data.lookback, "horizon": data.horizon,
        "threshold": float(settings.threshold), "reference": settings.reference,
        "change": settings.change, "time_column": data.time_column, "time_format": None,
        "time_freq": data.time_freq, "scaler": data.scaler.to_dict(),
        "classes": list(data.classes),
    }


def forward_input(spec: dict[str, Any], frame: pd.DataFrame) -> tuple[np.ndarray, Any]:
    """(the scaled window of the last ``lookback`` rows, the last row's time or None)."""
    from lstm_automl.data.time_index import history_in_order  # defers pydantic

    ordered, _ = history_in_order(frame, spec)
    ordered = ordered.copy()
    ordered.attrs["needed"] = spec["features"]
    lookback = int(spec["lookback"])
    if len(ordered) < lookback:
        raise RawInputError(f"{len(ordered)} rows of history are too few: the model reads the "
                            f"last {lookback} rows (label_from.lookback) and classifies the move "
                            f"over the {spec['horizon']} rows after the last one")
    tail = ordered.tail(lookback)
    values = np.column_stack([numeric_column(tail, c) for c in spec["features"]])
    column = spec.get("time_column")
    as_of = tail[column].iloc[-1] if column and column in tail.columns else None
    return scale_values(values, spec["scaler"])[None].astype(np.float32), as_of


def forward_output(spec: dict[str, Any], predicted: np.ndarray, as_of: Any) -> pd.DataFrame:
    """One row: the last row's time (where the history had one), label and p_<class>."""
    probs = np.asarray(predicted, dtype=np.float64).reshape(1, -1)
    classes = spec["classes"]
    out = pd.DataFrame({"label": [classes[int(probs[0].argmax())]]})
    for k, name in enumerate(classes):
        out[f"p_{name}"] = probs[:, k]
    if as_of is not None:
        out.insert(0, spec["time_column"], [as_of])
    return out


def forward_example(spec: dict[str, Any], data: Any, extra: int = 6) -> pd.DataFrame:
    """A raw history the model takes: the rows just before the test split."""
    end = int(data.split_rows["test"][0])
    rows = int(spec["lookback"]) + extra
    frame = pd.DataFrame({c: data.columns[c][end - rows:end] for c in spec["features"]})
    if spec.get("time_column") and data.time_values:
        frame.insert(0, spec["time_column"], data.time_values[end - rows:end])
    return frame
