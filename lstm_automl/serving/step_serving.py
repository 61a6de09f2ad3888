"""Raw table in, one label per input row out: how a ``task: label`` model serves.

The input is a long table like the training one: one row per step, the channels by name, a case
column where several sequences are sent (without it the whole table is one sequence) and the
time column where the training table had one (it orders each case's steps). The answer has one
row per input row, in the order sent: the case, the predicted label and each class's
probability. NumPy and pandas only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.errors import RawInputError
from lstm_automl.serving.raw import case_values, scale_values


def step_input(spec: dict[str, Any],
               frame: pd.DataFrame) -> tuple[np.ndarray, list[Any], list[pd.Index]]:
    """(padded scaled sequences, case ids, each case's input rows in step order)."""
    case_column = spec.get("case_column") or "case_id"
    channels = spec["channels"]
    frame = frame.copy()
    frame.attrs["needed"] = channels
    if case_column not in frame.columns:  # one sequence
        frame[case_column] = 0
    frame, values = case_values(spec, frame, case_column)
    steps = spec["steps"]
    groups = frame.groupby(case_column, sort=False).indices
    x = np.zeros((len(groups), steps, len(channels)), dtype=np.float32)
    ids, rows = [], []
    for i, (case, positions) in enumerate(groups.items()):
        if len(positions) > steps or (not spec["masked"] and len(positions) != steps):
            need = f"at most {steps}" if spec["masked"] else f"exactly {steps}"
            raise RawInputError(f"sequence {case!r} has {len(positions)} steps; the model takes "
                                f"{need}")
        x[i, :len(positions)] = scale_values(values[positions], spec["scaler"])
        ids.append(case)
        rows.append(frame.index[positions])
    return x, ids, rows


def step_output(spec: dict[str, Any], predicted: np.ndarray, ids: list[Any],
                rows: list[pd.Index]) -> pd.DataFrame:
    """One row per input row, in the order sent: case, label and p_<class>."""
    predicted = np.asarray(predicted, dtype=np.float64)
    classes = spec["classes"]
    parts = []
    for i, (case, index) in enumerate(zip(ids, rows, strict=True)):
        probs = predicted[i, :len(index)]
        part = pd.DataFrame({"case": case, "label": [classes[k] for k in probs.argmax(axis=1)]},
                            index=index)
        for k, name in enumerate(classes):
            part[f"p_{name}"] = probs[:, k]
        parts.append(part)
    return pd.concat(parts).sort_index().reset_index(drop=True)

