"""Padding after the end of a sequence must not change what the model predicts."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_automl.data.base import ModelShape
from lstm_automl.model.hypermodel import build_model

pytestmark = pytest.mark.usefixtures("keras_session")


def values(cell, conv=False, bidirectional=False):
    return {
        "cell": cell, "bidirectional": bidirectional, "layers": 2, "units": [4, 3],
        "dropout": [0.0, 0.0], "recurrent_dropout": [0.0, 0.0], "conv_front": conv,
        "conv_filters": 4 if conv else None, "conv_kernel_size": 3 if conv else None,
        "dense_layers": 0, "dense_units": [], "dense_activation": None, "learning_rate": 1e-2,
        "optimizer": "adam", "loss": "mse", "batch_size": 8, "clipnorm": None,
    }


# On JAX too (CI's backend_contract run): a mask alone, under a Conv1D front end, and under
# bidirectional wrappers, for Keras' cells and the peephole layer.
ON_JAX_TOO = {("lstm", False, False), ("gru", True, False), ("peephole", False, True),
              ("peephole", False, False)}
CASES = [pytest.param(cell, conv, bi, marks=[pytest.mark.backend_contract]
                      if (cell, conv, bi) in ON_JAX_TOO else [])
         for conv, bi in [(False, False), (True, False), (False, True)]
         for cell in ["lstm", "gru", "peephole", "simple_rnn"]]


@pytest.mark.parametrize("cell, conv, bidirectional", CASES)
def test_padding_does_not_change_predictions(cell, conv, bidirectional):
    rng = np.random.default_rng(0)
    short = rng.normal(size=(1, 5, 2)).astype("float32")
    padded = np.concatenate([short, np.zeros((1, 4, 2), dtype="float32")], axis=1)
    masked_model = build_model(values(cell, conv, bidirectional),
                               ModelShape(9, 2, 3, "classify", masked=True), seed=1)
    plain_model = build_model(values(cell, conv, bidirectional),
                              ModelShape(5, 2, 3, "classify"), seed=1)
    plain_model.set_weights(masked_model.get_weights())
    np.testing.assert_allclose(masked_model.predict(padded, verbose=0),
                               plain_model.predict(short, verbose=0), rtol=1e-5, atol=1e-6)
