"""A served model refuses a bad request before Keras sees it, and keeps answering good ones.

Issue 20, item 2: on JAX one request with a wrong-shaped tensor broke the loaded model for good
(Keras' ``predict`` detaches the weights while it runs and a failing call never put them back).
Every refusal here is a ``RawInputError`` and MLflow's INVALID_PARAMETER_VALUE (HTTP 400)."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from saved_models import airline_forecast, history

from lstm_automl.errors import RawInputError
from lstm_automl.serving.request_checks import MAX_ROWS

pytestmark = pytest.mark.backend_contract


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(data, the pyfunc model as MLflow loads it)."""
    import mlflow

    data, _, path = airline_forecast(tmp_path_factory.mktemp("served"))
    return data, mlflow.pyfunc.load_model(str(path))


def _refused(model, request, message: str) -> None:
    from mlflow.exceptions import MlflowException

    with pytest.raises(RawInputError, match=message) as caught:
        model.predict(request)
    assert isinstance(caught.value, MlflowException)
    assert caught.value.get_http_status_code() == 400
    assert "\n" not in str(caught.value)


BAD_TENSORS = [
    ("two rows of seven", np.array([[1, 2, 3, 4, 5, 6, 7]] * 2), "has shape \\(2, 7\\)"),
    ("batch of wrong windows", np.ones((1, 2, 7)), "windows of shape \\(any, 12, 1\\)"),
    ("too long", np.ones((1, 13, 1)), "has shape \\(1, 13, 1\\)"),
    ("four axes", np.ones((1, 12, 1, 1)), "has shape"),
    ("a number", np.array(5.0), "has shape \\(\\)"),
    ("strings", np.array([["a"] * 1] * 12), "numbers only \\(got str"),
    ("nulls", np.array([[None]] * 12), "numbers only \\(got object"),
    ("booleans", np.ones((12, 1), dtype=bool), "numbers only \\(got bool"),
    ("complex", np.ones((12, 1), dtype=complex), "numbers only"),
    ("empty", np.zeros((0, 12, 1)), "no windows"),
    ("NaN", np.full((12, 1), np.nan), "window 1 holds a NaN"),
    ("too large for float32", np.full((2, 12, 1), 1e300), "too large for float32"),
    ("too many windows", np.zeros((MAX_ROWS + 1, 12, 1)), f"at most {MAX_ROWS}"),
]


def _windows(data) -> np.ndarray:
    return data.splits["test"].x[:3]


def test_bad_tensors_are_refused_and_the_model_keeps_serving(served):
    data, model = served
    first = model.predict(_windows(data))
    for _, request, message in BAD_TENSORS:
        _refused(model, request, message)
        np.testing.assert_array_equal(model.predict(_windows(data)), first)
    one = model.predict(_windows(data)[0])  # one window without the batch axis
    # a batch of 1 and a batch of 3 may round differently in float32 (oneDNN, XLA)
    np.testing.assert_allclose(one, first[:1], rtol=1e-5, atol=1e-6)


def _table_cases(data) -> list[tuple[str, object, str]]:
    good = history(data, 14)
    mixed = good.astype({"month": object})
    mixed.loc[0, "month"] = 5  # a number among dates: not orderable
    huge = pd.DataFrame({"month": range(MAX_ROWS + 1), "passengers": 1.0})
    return [
        ("no rows", good.iloc[:0], "no rows"),
        ("missing column", good.rename(columns={"passengers": "pax"}), "'passengers' is missing"),
        ("strings", good.assign(passengers="many"), "not a finite number"),
        ("infinite", good.assign(passengers=np.inf), "not a finite number"),
        ("not positive", good.assign(passengers=0.0), "must be > 0"),
        ("column twice", pd.concat([good, good[["passengers"]]], axis=1), "more than once"),
        ("unequal columns", {"month": np.arange(3), "passengers": np.arange(2)}, "not a table"),
        ("unorderable times", mixed, "every time needs the same form"),
        ("too many rows", huge, f"at most {MAX_ROWS}"),
    ]


@pytest.mark.usefixtures("keras_session")
def test_bad_tables_are_refused_and_the_model_keeps_serving(served):
    data, model = served
    first = model.predict(history(data, 14))
    for _, request, message in _table_cases(data):
        _refused(model, request, message)
        pd.testing.assert_frame_equal(model.predict(history(data, 14)), first)


def test_messages_name_the_row_of_the_input_not_of_its_tail(served):
    data, model = served
    table = history(data, 20).astype({"passengers": object})
    table.loc[18, "passengers"] = "n/a"  # the 19th data row; the model reads the last 13
    _refused(model, table, "column 'passengers', data row 19 \\(the first row after the header")
    shuffled = table.sample(frac=1.0, random_state=3).reset_index(drop=True)
    row = int(np.flatnonzero(shuffled["passengers"].astype(str) == "n/a")[0]) + 1
    _refused(model, shuffled, f"data row {row} ")


def test_a_shape_that_slips_past_the_checks_does_not_break_the_model():
    """A model of its own (``model.python``) may leave the time axis open; a length its layers
    cannot take then fails inside Keras, and the model must keep its weights."""
    import keras

    from lstm_automl.serving.model_call import predict_windows

    inputs = keras.Input((None, 1))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Reshape((12,))(inputs)))
    good = np.ones((2, 12, 1), dtype=np.float32)
    first = predict_windows(model, good)
    with pytest.raises(Exception):  # noqa: B017 - whatever Keras raises on this backend
        predict_windows(model, np.ones((1, 7, 1), dtype=np.float32))
    np.testing.assert_array_equal(predict_windows(model, good), first)


def test_requests_at_once_from_threads_all_get_the_answer(served):
    """``mlflow models serve`` runs each request in a thread of its own."""
    data, model = served
    first = model.predict(history(data, 14))
    answers, errors = [], []

    def ask() -> None:
        try:
            for _ in range(5):
                answers.append(model.predict(history(data, 14)))
                try:
                    model.predict(np.ones((1, 2, 7)))
                except RawInputError:
                    pass
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]
    assert len(answers) == 20
    for answer in answers:
        pd.testing.assert_frame_equal(answer, first)
