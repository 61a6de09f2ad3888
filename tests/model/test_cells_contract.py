"""The contract every family in ``lstm_automl.model.cells.CELLS`` keeps for the model builder."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from lstm_automl.model.cells import CELLS, make_recurrent_layer

T, FEATURES, UNITS, BATCH = 6, 3, 4, 2
pytestmark = pytest.mark.backend_contract  # on TensorFlow and on JAX (CI's second run)


@pytest.fixture(autouse=True)
def _fresh_keras() -> None:
    keras.backend.clear_session(free_memory=False)  # no full gc: conftest.keras_session
    keras.utils.set_random_seed(0)


@pytest.fixture
def x() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(BATCH, T, FEATURES)).astype("float32")


def _model(*layers: keras.layers.Layer) -> keras.Model:
    return keras.Sequential([keras.Input((T, FEATURES)), *layers, keras.layers.Dense(1)])


@pytest.mark.parametrize("family", sorted(CELLS))
class TestCellContract:
    def test_builds_and_predicts(self, family: str, x: np.ndarray) -> None:
        model = _model(make_recurrent_layer(family, UNITS, return_sequences=False))
        assert model.predict(x, verbose=0).shape == (BATCH, 1)

    def test_return_sequences_shape(self, family: str, x: np.ndarray) -> None:
        layer = make_recurrent_layer(family, UNITS, return_sequences=True)
        assert tuple(layer(x).shape) == (BATCH, T, UNITS)

    def test_stacks(self, family: str, x: np.ndarray) -> None:
        model = _model(
            make_recurrent_layer(family, UNITS, return_sequences=True, name="rnn_1"),
            make_recurrent_layer(family, UNITS, return_sequences=False, name="rnn_2"),
        )
        assert model.predict(x, verbose=0).shape == (BATCH, 1)

    def test_bidirectional(self, family: str, x: np.ndarray) -> None:
        layer = make_recurrent_layer(family, UNITS, return_sequences=False)
        model = _model(keras.layers.Bidirectional(layer))
        assert model.layers[0].output.shape == (None, 2 * UNITS)
        assert model.predict(x, verbose=0).shape == (BATCH, 1)

    def test_trains_one_step_with_dropout(self, family: str, x: np.ndarray) -> None:
        layer = make_recurrent_layer(
            family, UNITS, return_sequences=False, dropout=0.2, recurrent_dropout=0.2, seed=1
        )
        model = _model(layer)
        model.compile(optimizer="sgd", loss="mse")
        before = [np.array(w) for w in layer.weights]
        loss = model.train_on_batch(x, np.ones((BATCH, 1)))
        assert np.isfinite(loss)
        pairs = zip(before, layer.weights, strict=True)
        assert all(not np.array_equal(b, np.asarray(w)) for b, w in pairs)

    def test_save_and_reload(self, family: str, x: np.ndarray, tmp_path: Path) -> None:
        model = _model(
            keras.layers.Bidirectional(make_recurrent_layer(family, UNITS, return_sequences=True)),
            make_recurrent_layer(family, UNITS, return_sequences=False, dropout=0.1, seed=2),
        )
        path = tmp_path / f"{family}.keras"
        model.save(path)
        reloaded = keras.saving.load_model(path)
        np.testing.assert_array_equal(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))

    def test_config_round_trips(self, family: str) -> None:
        layer = make_recurrent_layer(
            family, UNITS, return_sequences=True, dropout=0.1, recurrent_dropout=0.2, seed=3
        )
        config = layer.get_config()
        assert layer.__class__.from_config(layer.get_config()).get_config() == config


def test_unknown_family_lists_valid_names() -> None:
    with pytest.raises(KeyError, match="valid: "):
        make_recurrent_layer("transformer", UNITS, return_sequences=False)
