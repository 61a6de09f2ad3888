"""What a served model accepts, checked before Keras sees a request.

A model served by ``mlflow models serve`` (or called through ``lstm-sweep predict``) takes a raw
table of history rows or, for users of the network itself, a tensor of scaled windows. Both are
checked here for size, type and shape, so that a hostile or careless request is refused with a
message that says what to send instead (MLflow answers it with HTTP 400), and the network only
ever runs on arrays of the shape it was built for. NumPy and pandas only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.errors import RawInputError

MAX_ROWS = 100_000  # rows of a raw table, or windows of a tensor, in one request
MAX_VALUES = 10_000_000  # cells of a raw table, or numbers of a tensor, in one request


def _limits(rows: int, values: int, what: str) -> None:
    if rows == 0:
        raise RawInputError(f"the input has no {what}")
    if rows > MAX_ROWS:
        raise RawInputError(f"the input has {rows} {what}; one request may have at most "
                            f"{MAX_ROWS}: split it")
    if values > MAX_VALUES:
        raise RawInputError(f"the input has {values} values; one request may have at most "
                            f"{MAX_VALUES}: split it")


def checked_table(data: Any) -> pd.DataFrame:
    """``data`` as a DataFrame of at most ``MAX_ROWS`` rows, one column per name, indexed
    0, 1, ... in the order given (error messages count data rows from 1)."""
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        try:
            frame = pd.DataFrame(data)
        except (TypeError, ValueError) as exc:
            raise RawInputError(f"the input is not a table of named columns: "
                                f"{str(exc).splitlines()[0]}") from None
    _limits(len(frame), frame.size, "rows")
    names = [str(name) for name in frame.columns]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise RawInputError(f"column '{twice[0]}' appears more than once")
    return frame.reset_index(drop=True)


def model_input_shape(model: Any) -> tuple[int | None, ...] | None:
    """The one input shape of ``model`` (batch axis first), or None for a model with several
    inputs, whose tensors are not checked here."""
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return shape
    return None


def _shape_text(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("any" if d is None else str(d) for d in shape) + ")"


def checked_windows(data: Any, shape: tuple[int | None, ...] | None) -> np.ndarray:
    """A tensor of scaled windows as float32 of ``shape`` (batch first; one window may come
    without the batch axis), finite, within the size limits."""
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise RawInputError(f"the input is not a rectangular array of numbers: "
                            f"{str(exc).splitlines()[0]}") from None
    if array.dtype.kind not in "iuf":
        raise RawInputError(f"the input must hold numbers only (got {array.dtype.name} "
                            f"values)")
    if shape is not None:
        sent = tuple(array.shape)
        if array.ndim == len(shape) - 1:
            array = array[None, ...]
        if array.ndim != len(shape) or any(
                want is not None and got != want
                for got, want in zip(array.shape[1:], shape[1:], strict=True)):
            raise RawInputError(
                f"the input has shape {sent}; the model takes windows of shape "
                f"{_shape_text(shape)} (batch first), or one window of shape "
                f"{_shape_text(shape[1:])}")
    elif array.ndim == 0:
        raise RawInputError("the input must be an array of windows, not a single number")
    _limits(len(array), array.size, "windows")
    with np.errstate(over="ignore", invalid="ignore"):  # too large for float32: inf, refused
        array = array.astype(np.float32)
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        raise RawInputError(f"window {int(bad[0][0]) + 1} holds a NaN or infinite value (or one "
                            f"too large for float32)")
    return array
