"""A text model: token ids embedded (``embedding_dim``), ids past ``vocab_size`` folded into the
out-of-vocabulary id, padding masked, and the ``.keras`` file reloads with the same outputs.
Tiny models, no training."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from lstm_automl.data.base import ModelShape
from lstm_automl.model.cells import TokenIds
from lstm_automl.model.hypermodel import build_model

pytestmark = pytest.mark.usefixtures("keras_session")

SHAPE = ModelShape(6, 1, 3, "classify", masked=True, vocabulary=50)


def values(**changes):
    base = {
        "cell": "gru", "bidirectional": False, "layers": 1, "units": [4], "dropout": [0.0],
        "recurrent_dropout": [0.0], "conv_front": False, "conv_filters": None,
        "conv_kernel_size": None, "dense_layers": 0, "dense_units": [],
        "dense_activation": None, "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None, "embedding_dim": 5, "vocab_size": 10,
    }
    return {**base, **changes}


def ids(*rows: list[int]) -> np.ndarray:
    out = np.zeros((len(rows), SHAPE.steps, 1), dtype=np.float32)
    for i, row in enumerate(rows):
        out[i, :len(row), 0] = row
    return out


def test_the_embedding_is_as_wide_as_searched_and_as_long_as_the_kept_vocabulary():
    model = build_model(values(), SHAPE, seed=1)
    embedding = model.get_layer("embedding")
    assert embedding.input_dim == 12 and embedding.output_dim == 5  # 10 tokens + pad + OOV
    assert embedding.mask_zero
    bigger = build_model(values(vocab_size=1000, embedding_dim=3), SHAPE, seed=1)
    assert bigger.get_layer("embedding").input_dim == 50  # no more ids than the data has
    plain = build_model(values(), ModelShape(6, 1, 3, "classify"), seed=1)
    assert not any(layer.name == "embedding" for layer in plain.layers)


def test_ids_past_the_vocab_size_read_as_out_of_vocabulary():
    folded = keras.ops.convert_to_numpy(TokenIds(12)(ids([2, 11, 12, 40, 1])))
    assert folded[0].tolist() == [2, 11, 1, 1, 1, 0]
    model = build_model(values(), SHAPE, seed=1)
    rare = model.predict(ids([3, 4, 30]), verbose=0)
    unknown = model.predict(ids([3, 4, 1]), verbose=0)
    np.testing.assert_allclose(rare, unknown, rtol=1e-6)


def test_padding_is_masked():
    model = build_model(values(), SHAPE, seed=1)
    short = model.predict(ids([3, 4]), verbose=0)
    again = model.predict(ids([3, 4]), verbose=0)
    longer = model.predict(ids([3, 4, 5]), verbose=0)
    np.testing.assert_allclose(short, again, rtol=1e-6)
    assert not np.allclose(short, longer)
    # The padding positions do not count: the same text, padded to the same length, whatever
    # the padding would have been embedded as.
    embedding = model.get_layer("embedding")
    weights = embedding.get_weights()
    weights[0][0] += 10.0
    embedding.set_weights(weights)
    np.testing.assert_allclose(model.predict(ids([3, 4]), verbose=0), short, rtol=1e-5)


def test_a_text_model_reloads_from_its_keras_file(tmp_path: Path):
    model = build_model(values(), SHAPE, seed=1)
    model.optimizer.build(model.trainable_variables)  # saved with its slots: no warning
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    x = ids([2, 3, 4, 5], [9, 1])
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
