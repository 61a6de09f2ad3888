"""Raw strings in for a text model: the saved vocabulary applied as in training.

A request is a table with the text column, or a plain list (or 1-D array, or Series) of strings.
Anything else in a text cell (a number, a null) is refused with the row it is in, never passed
on to crash the tokenizer. NumPy and pandas only, like ``raw``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.data.tokens import Vocabulary
from lstm_automl.errors import RawInputError
from lstm_automl.serving.request_checks import MAX_ROWS, MAX_VALUES, checked_table


def text_spec(data: Any) -> dict[str, Any]:
    """What a text model needs to take raw strings: the column, vocabulary and length."""
    spec: dict[str, Any] = {
        "task": data.task, "classes": list(data.classes), "positions": 0, "binary": data.binary,
        "label": data.label_name, "steps": data.steps,
        "text": {"column": data.text_column, "max_length": data.steps,
                 **data.vocabulary.to_dict()},
    }
    if data.target_scaler is not None:
        spec["target_scaler"] = data.target_scaler.to_dict()
    return spec


def request_texts(spec: dict[str, Any], data: Any) -> tuple[list[str], list[Any]]:
    """(texts, row ids) of a request; refused unless every cell is a string."""
    column = spec["text"]["column"]
    if isinstance(data, (str, bytes)):
        raise RawInputError(f"send a list of texts or a table with a '{column}' column, not one "
                            f"bare string")
    if isinstance(data, (list, tuple, pd.Series)) or (
            isinstance(data, np.ndarray) and data.ndim == 1):
        if len(data) > MAX_ROWS:
            raise RawInputError(f"the input has {len(data)} texts; one request may have at most "
                                f"{MAX_ROWS}: split it")
        frame = pd.DataFrame({column: list(data)})
    else:
        frame = checked_table(data)
    if column not in frame.columns:
        raise RawInputError(f"column '{column}' is missing; the model reads its texts from it "
                            f"(or send a plain list of strings)")
    if len(frame) == 0:
        raise RawInputError("the input has no texts")
    texts = frame[column].tolist()
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            shown = repr(text) if len(repr(text)) <= 60 else type(text).__name__
            raise RawInputError(f"column '{column}', data row {row + 1}: {shown} is not a text "
                                f"(a string)")
    characters = sum(len(text) for text in texts)
    if characters > MAX_VALUES:  # tokenizing is linear in them; a request stays bounded
        raise RawInputError(f"the input has {characters} characters of text; one request may "
                            f"have at most {MAX_VALUES}: split it")
    return texts, list(range(len(texts)))


def text_input(spec: dict[str, Any], data: Any) -> tuple[np.ndarray, list[Any]]:
    """The padded id window of every text in the request, and their row numbers."""
    texts, ids = request_texts(spec, data)
    vocabulary = Vocabulary.from_dict(spec["text"])
    return vocabulary.encode(texts, int(spec["text"]["max_length"])), ids


def text_example(spec: dict[str, Any], data: Any) -> pd.DataFrame:
    """A raw input the model accepts: a few test texts."""
    return pd.DataFrame({spec["text"]["column"]: list(data.texts["test"][:3])})
