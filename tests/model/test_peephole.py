"""PeepholeLSTMCell and the PeepholeLSTM layer the sweep builds: numerics against NumPy and
Keras' LSTM, weights, config, saving, dropout, masking."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import pytest

from lstm_automl.model.cells import make_recurrent_layer
from lstm_automl.model.cells.peephole import PeepholeLSTM, PeepholeLSTMCell

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BATCH, T, FEATURES, UNITS = 3, 5, 4, 6
PEEPHOLE_NAMES = (
    "input_gate_peephole_weights",
    "forget_gate_peephole_weights",
    "output_gate_peephole_weights",
)


@contextlib.contextmanager
def _full_float32_matmuls() -> Iterator[None]:
    """Matrix products in full float32. On recent NVIDIA GPUs both JAX and TensorFlow use
    TF32 (10-bit mantissa) by default, off the float64 reference by up to ~1e-3 (seen on an
    H200); these tests check the cell's maths, not the GPU's rounding. No effect on a CPU."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        with jax.default_matmul_precision("highest"):
            yield
    elif backend == "tensorflow":
        import tensorflow as tf

        before = tf.config.experimental.tensor_float_32_execution_enabled()
        tf.config.experimental.enable_tensor_float_32_execution(False)
        try:
            yield
        finally:
            tf.config.experimental.enable_tensor_float_32_execution(before)
    else:
        yield


@pytest.fixture(autouse=True)
def _fresh_keras() -> Iterator[None]:
    keras.backend.clear_session(free_memory=False)  # no full gc: conftest.keras_session
    keras.utils.set_random_seed(0)
    with _full_float32_matmuls():
        yield


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _numpy_peephole(x, kernel, rec, bias, w_ci, w_cf, w_co):
    """Independent reference: the peephole equations, step by step, in float64."""
    n = rec.shape[0]
    h = np.zeros((x.shape[0], n))
    c = np.zeros((x.shape[0], n))
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ rec + bias
        z_i, z_f, z_c, z_o = (z[:, k * n : (k + 1) * n] for k in range(4))
        i = _sigmoid(z_i + w_ci * c)
        f = _sigmoid(z_f + w_cf * c)
        c = f * c + i * np.tanh(z_c)
        o = _sigmoid(z_o + w_co * c)
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def _random_weights(rng: np.random.Generator, peepholes: bool = True) -> list[np.ndarray]:
    """kernel, recurrent_kernel, bias, w_ci, w_cf, w_co (the cell's weight order)."""
    weights = [
        rng.normal(0, 0.5, (FEATURES, 4 * UNITS)),
        rng.normal(0, 0.5, (UNITS, 4 * UNITS)),
        rng.normal(0, 0.5, (4 * UNITS,)),
    ]
    weights += [rng.normal(0, 0.5, (UNITS,)) * peepholes for _ in range(3)]
    return [w.astype("float32") for w in weights]


def _rnn(cell: keras.layers.Layer, **kwargs: object) -> keras.layers.RNN:
    layer = keras.layers.RNN(cell, **kwargs)
    layer.build((None, T, FEATURES))
    return layer


@pytest.mark.backend_contract
def test_matches_numpy_reference() -> None:
    rng = np.random.default_rng(1)
    weights = _random_weights(rng)
    x = rng.normal(size=(BATCH, T, FEATURES)).astype("float32")
    layer = _rnn(PeepholeLSTMCell(UNITS), return_sequences=True, return_state=True)
    layer.set_weights(weights)

    seq, h, c = (np.asarray(v) for v in layer(x))
    ref_seq, ref_h, ref_c = _numpy_peephole(x.astype("float64"), *weights)

    np.testing.assert_allclose(seq, ref_seq, atol=1e-5)
    np.testing.assert_allclose(h, ref_h, atol=1e-5)
    np.testing.assert_allclose(c, ref_c, atol=1e-5)
    np.testing.assert_allclose(seq[:, -1], h, atol=1e-6)


@pytest.mark.backend_contract
def test_zero_peepholes_equal_keras_lstm() -> None:
    rng = np.random.default_rng(2)
    weights = _random_weights(rng, peepholes=False)
    x = rng.normal(size=(BATCH, T, FEATURES)).astype("float32")
    peephole = _rnn(PeepholeLSTMCell(UNITS), return_sequences=True)
    peephole.set_weights(weights)
    lstm = keras.layers.LSTM(UNITS, return_sequences=True)
    lstm.build((None, T, FEATURES))
    lstm.set_weights(weights[:3])

    np.testing.assert_allclose(np.asarray(peephole(x)), np.asarray(lstm(x)), atol=1e-5)


def test_weight_names_and_shapes() -> None:
    cell = _rnn(PeepholeLSTMCell(UNITS)).cell
    shapes = {w.name: tuple(w.shape) for w in cell.weights}
    assert shapes == {
        "kernel": (FEATURES, 4 * UNITS),
        "recurrent_kernel": (UNITS, 4 * UNITS),
        "bias": (4 * UNITS,),
        **{name: (UNITS,) for name in PEEPHOLE_NAMES},
    }
    # unit_forget_bias still works through LSTMCell.build: forget slice starts at one.
    bias = np.asarray(cell.bias)
    np.testing.assert_array_equal(bias[UNITS : 2 * UNITS], 1.0)


def test_config_round_trip() -> None:
    cell = PeepholeLSTMCell(
        UNITS, dropout=0.1, recurrent_dropout=0.2, seed=7, peephole_initializer="zeros"
    )
    config = cell.get_config()
    assert config["peephole_initializer"]["class_name"] == "Zeros"
    assert config["units"] == UNITS and config["seed"] == 7
    assert PeepholeLSTMCell.from_config(config).get_config() == config


def _small_model(layer: bool = False) -> keras.Model:
    recurrent = PeepholeLSTM(UNITS) if layer else keras.layers.RNN(PeepholeLSTMCell(UNITS))
    return keras.Sequential([keras.Input((T, FEATURES)), recurrent, keras.layers.Dense(1)])


@pytest.mark.backend_contract
def test_keras_save_and_reload(tmp_path: Path) -> None:
    model = _small_model()
    x = np.random.default_rng(3).normal(size=(BATCH, T, FEATURES)).astype("float32")
    path = tmp_path / "peephole.keras"
    model.save(path)

    reloaded = keras.saving.load_model(path)

    assert isinstance(reloaded.layers[0].cell, PeepholeLSTMCell)
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))


_LOAD_IN_FRESH_PROCESS = textwrap.dedent(
    """
    import sys
    import keras
    import numpy as np
    model_path, x_path, out_path = sys.argv[1:]
    try:
        keras.saving.load_model(model_path)
        print("loaded without importing lstm_automl")
    except TypeError as error:
        print("needs import:", error)
    import lstm_automl.model.cells  # registers lstm_automl>PeepholeLSTMCell
    model = keras.saving.load_model(model_path)
    np.save(out_path, model.predict(np.load(x_path), verbose=0))
    """
)


@pytest.mark.parametrize("layer", [False, True], ids=["cell", "layer"])
def test_load_in_fresh_process_needs_the_package_imported(tmp_path: Path, layer: bool) -> None:
    """A fresh interpreter loads the model only once ``lstm_automl.model.cells`` is imported.

    Keras 3 does not import the saved config's ``module`` (``lstm_automl.model.cells.peephole``):
    ``serialization_lib._retrieve_class_or_fn`` looks the registered name
    ``lstm_automl>PeepholeLSTMCell`` up in the registry and imports only modules of the keras,
    keras_hub, keras_cv and keras_nlp packages. This pins that, so a Keras change shows up here.
    """
    model = _small_model(layer)
    x = np.random.default_rng(4).normal(size=(BATCH, T, FEATURES)).astype("float32")
    model_path, x_path, out_path = (tmp_path / n for n in ("m.keras", "x.npy", "y.npy"))
    model.save(model_path)
    np.save(x_path, x)
    pythonpath = [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, pythonpath))}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"

    proc = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_FRESH_PROCESS, str(model_path), str(x_path), str(out_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "needs import:" in proc.stdout
    missing = "PeepholeLSTM" if layer else "PeepholeLSTMCell"
    assert f"Could not locate class '{missing}'" in proc.stdout
    np.testing.assert_array_equal(np.load(out_path), model.predict(x, verbose=0))


@pytest.mark.backend_contract
def test_dropout_only_in_training() -> None:
    rng = np.random.default_rng(5)
    weights = _random_weights(rng)
    x = rng.normal(size=(BATCH, T, FEATURES)).astype("float32")
    noisy = _rnn(PeepholeLSTMCell(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=1))
    noisy.set_weights(weights)
    clean = _rnn(PeepholeLSTMCell(UNITS))
    clean.set_weights(weights)

    train_a = np.asarray(noisy(x, training=True))
    train_b = np.asarray(noisy(x, training=True))
    assert not np.allclose(train_a, train_b)

    infer_a = np.asarray(noisy(x, training=False))
    infer_b = np.asarray(noisy(x, training=False))
    np.testing.assert_array_equal(infer_a, infer_b)
    np.testing.assert_allclose(infer_a, np.asarray(clean(x)), atol=1e-6)


@pytest.mark.parametrize("dropout, recurrent_dropout", [(0.5, 0.0), (0.0, 0.5), (0.5, 0.5)])
def test_training_dropout_matches_keras_lstm(dropout: float, recurrent_dropout: float) -> None:
    """Same seed, zero peepholes: the same masks as Keras' LSTM (one mask, or four per gate)."""
    rng = np.random.default_rng(6)
    weights = _random_weights(rng, peepholes=False)
    x = rng.normal(size=(BATCH, T, FEATURES)).astype("float32")
    kwargs = {"dropout": dropout, "recurrent_dropout": recurrent_dropout, "seed": 3}
    peephole = _rnn(PeepholeLSTMCell(UNITS, **kwargs))
    peephole.set_weights(weights)
    lstm = keras.layers.LSTM(UNITS, **kwargs)
    lstm.build((None, T, FEATURES))
    lstm.set_weights(weights[:3])

    first = np.asarray(peephole(x, training=True))
    np.testing.assert_allclose(first, np.asarray(lstm(x, training=True)), atol=1e-5)
    assert not np.allclose(first, np.asarray(peephole(x, training=True)))


def test_fits_with_jit_compile() -> None:
    model = _small_model()
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    x = np.random.default_rng(7).normal(size=(16, T, FEATURES)).astype("float32")
    history = model.fit(x, np.zeros((16, 1)), batch_size=8, epochs=1, verbose=0)
    assert model.jit_compile
    assert np.isfinite(history.history["loss"][0])


# ---------------------------------------------------------------- PeepholeLSTM (the fast layer)

def _layer(**kwargs: object) -> PeepholeLSTM:
    layer = PeepholeLSTM(UNITS, **kwargs)
    layer.build((None, T, FEATURES))
    return layer


def test_sweep_builds_the_fast_layer() -> None:
    layer = make_recurrent_layer("peephole", UNITS, return_sequences=False, name="p")
    assert type(layer) is PeepholeLSTM and layer.name == "p"


@pytest.mark.backend_contract
@pytest.mark.parametrize("go_backwards", [False, True])
def test_layer_matches_numpy_reference(go_backwards: bool) -> None:
    rng = np.random.default_rng(11)
    weights = _random_weights(rng)
    x = rng.normal(size=(BATCH, T, FEATURES)).astype("float32")
    layer = _layer(return_sequences=True, return_state=True, go_backwards=go_backwards)
    layer.set_weights(weights)

    seq, h, c = (np.asarray(v) for v in layer(x))
    x_ref = x[:, ::-1] if go_backwards else x
    ref_seq, ref_h, ref_c = _numpy_peephole(x_ref.astype("float64"), *weights)

    np.testing.assert_allclose(seq, ref_seq, atol=1e-5)
    np.testing.assert_allclose(h, ref_h, atol=1e-5)
    np.testing.assert_allclose(c, ref_c, atol=1e-5)


@pytest.mark.parametrize("dropout, recurrent_dropout", [(0.0, 0.0), (0.4, 0.0), (0.4, 0.3)])
def test_layer_equals_cell_in_keras_rnn(dropout: float, recurrent_dropout: float) -> None:
    """Same weights and seed: the same outputs as ``RNN(PeepholeLSTMCell)``, in training too
    (the fast path with input dropout, the cell's own step with recurrent dropout)."""
    rng = np.random.default_rng(12)
    weights = _random_weights(rng)
    x = rng.normal(size=(BATCH, T, FEATURES)).astype("float32")
    kwargs = {"dropout": dropout, "recurrent_dropout": recurrent_dropout, "seed": 5}
    fast = _layer(return_sequences=True, **kwargs)
    fast.set_weights(weights)
    cell_based = _rnn(PeepholeLSTMCell(UNITS, **kwargs), return_sequences=True)
    cell_based.set_weights(weights)

    for training in (False, True):
        np.testing.assert_allclose(np.asarray(fast(x, training=training)),
                                   np.asarray(cell_based(x, training=training)), atol=1e-5)


@pytest.mark.backend_contract
def test_layer_masks_padding_like_the_cell() -> None:
    rng = np.random.default_rng(13)
    weights = _random_weights(rng)
    x = rng.normal(size=(BATCH, T, FEATURES)).astype("float32")
    lengths = np.array([T, 3, 1])
    mask = np.arange(T)[None, :] < lengths[:, None]
    x[~mask] = 0.0
    fast = _layer(return_sequences=True, return_state=True)
    fast.set_weights(weights)
    cell_based = _rnn(PeepholeLSTMCell(UNITS), return_sequences=True, return_state=True)
    cell_based.set_weights(weights)

    seq, h, c = (np.asarray(v) for v in fast(x, mask=mask))
    for got, want in zip((seq, h, c), cell_based(x, mask=mask), strict=True):
        np.testing.assert_allclose(got, np.asarray(want), atol=1e-6)
    for row, n in enumerate(lengths):  # the final state is the state after the last real step
        _, ref_h, ref_c = _numpy_peephole(x[row:row + 1, :n].astype("float64"), *weights)
        np.testing.assert_allclose(h[row], ref_h[0], atol=1e-5)
        np.testing.assert_allclose(c[row], ref_c[0], atol=1e-5)


@pytest.mark.backend_contract
def test_layer_save_and_reload(tmp_path: Path) -> None:
    model = keras.Sequential([
        keras.Input((T, FEATURES)),
        keras.layers.Bidirectional(PeepholeLSTM(UNITS, return_sequences=True, dropout=0.1,
                                                peephole_initializer="ones")),
        PeepholeLSTM(UNITS, recurrent_dropout=0.2, seed=4),
        keras.layers.Dense(1),
    ])
    x = np.random.default_rng(14).normal(size=(BATCH, T, FEATURES)).astype("float32")
    path = tmp_path / "layer.keras"
    model.save(path)

    reloaded = keras.saving.load_model(path)

    assert isinstance(reloaded.layers[1], PeepholeLSTM)
    assert reloaded.layers[1].get_config() == model.layers[1].get_config()
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.backend_contract
def test_layer_fits_and_its_gradients_match_the_cell() -> None:
    """One training step moves the weights exactly as the cell-based layer would."""
    rng = np.random.default_rng(15)
    weights = _random_weights(rng)
    x = rng.normal(size=(8, T, FEATURES)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    trained = []
    for recurrent in (PeepholeLSTM(UNITS), keras.layers.RNN(PeepholeLSTMCell(UNITS))):
        model = keras.Sequential([keras.Input((T, FEATURES)), recurrent,
                                  keras.layers.Dense(1, kernel_initializer="ones")])
        recurrent.set_weights(weights)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        model.train_on_batch(x, y)
        trained.append(recurrent.get_weights())
    for fast, slow in zip(*trained, strict=True):
        np.testing.assert_allclose(fast, slow, atol=1e-5)
