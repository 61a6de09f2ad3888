"""How a ``task: label`` model reads a raw table and answers one row per input row, without a
network: the preprocessing and the answer's order are plain pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_automl.errors import RawInputError
from lstm_automl.serving.step_serving import step_input, step_output

SPEC = {"task": "label", "channels": ["value"], "steps": 4, "masked": True,
        "case_column": "case_id", "time_column": "t", "classes": ["a", "b"],
        "scaler": {"kind": "standard", "offset": [1.0], "scale": [2.0]}}


def test_rows_are_ordered_by_case_and_time_and_answered_in_the_order_sent():
    frame = pd.DataFrame({"case_id": ["y", "x", "y", "x", "x"], "t": [1, 2, 0, 0, 1],
                          "value": [5.0, 7.0, 3.0, 1.0, 3.0]})
    x, ids, rows = step_input(SPEC, frame)
    assert sorted(ids) == ["x", "y"]
    by_case = dict(zip(ids, range(len(ids)), strict=True))
    np.testing.assert_allclose(x[by_case["x"], :, 0], [0.0, 1.0, 3.0, 0.0])  # (v - 1) / 2
    np.testing.assert_allclose(x[by_case["y"], :, 0], [1.0, 2.0, 0.0, 0.0])
    # the model's answer: p(b) = the scaled value / 10 at each step
    predicted = np.stack([1 - x[..., 0] / 10, x[..., 0] / 10], axis=-1)
    answer = step_output(SPEC, predicted, ids, rows)
    assert list(answer["case"]) == list(frame["case_id"])
    np.testing.assert_allclose(answer["p_b"], (frame["value"] - 1) / 2 / 10)
    assert list(answer.columns) == ["case", "label", "p_a", "p_b"]


def test_a_table_without_a_case_column_is_one_sequence():
    x, ids, rows = step_input(SPEC, pd.DataFrame({"value": [1.0, 3.0]}))
    assert x.shape == (1, 4, 1) and ids == [0] and list(rows[0]) == [0, 1]


def test_a_sequence_longer_than_the_model_takes_is_refused():
    with pytest.raises(RawInputError, match="has 5 steps; the model takes at most 4"):
        step_input(SPEC, pd.DataFrame({"value": np.arange(5.0)}))
