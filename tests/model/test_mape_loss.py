"""loss: mape (issue 12): the model trains on Keras' mean absolute percentage error."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_automl.data.base import ModelShape
from tests.model.test_hypermodel import values

pytestmark = pytest.mark.usefixtures("keras_session")


def test_mape_is_the_loss_the_model_trains_on():
    from lstm_automl.model.hypermodel import build_model

    model = build_model(values(loss="mape"), ModelShape(6, 2, 1), seed=1)
    assert model.loss.name == "mean_absolute_percentage_error"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 6, 2)).astype("float32")
    y = rng.uniform(1.0, 3.0, size=(16, 1)).astype("float32")  # away from 0, as validate asks
    predicted = model.predict(x, verbose=0)
    expected = 100 * np.mean(np.abs((y - predicted) / y))
    assert model.evaluate(x, y, verbose=0, return_dict=True)["loss"] == pytest.approx(
        expected, rel=1e-4)
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
