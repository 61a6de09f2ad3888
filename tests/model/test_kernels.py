"""Which kernel a trial runs (cuDNN, generic, CPU), the XLA rule of ``jit_compile: auto``, the
right-padded masks cuDNN needs, and mixed precision keeping outputs and loss in float32."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_automl.model.kernel_tags import space_kernel_notes, trial_kernel


@pytest.mark.parametrize("values, gpu, kernel", [
    ({"cell": "lstm", "recurrent_dropout": [0.0]}, True, "cudnn"),
    ({"cell": "gru", "recurrent_dropout": 0.0, "dropout": 0.3}, True, "cudnn"),
    ({"cell": "lstm", "recurrent_dropout_0": 0.0, "recurrent_dropout_1": 0.2}, True, "generic"),
    ({"cell": "gru", "recurrent_dropout": [0.0, 0.1]}, True, "generic"),
    ({"cell": "peephole", "recurrent_dropout": [0.0]}, True, "generic"),
    ({"cell": "simple_rnn"}, True, "generic"),
    ({"cell": "lstm", "recurrent_dropout": [0.0]}, False, "cpu"),
])
def test_trial_kernel(values, gpu, kernel):
    choice = trial_kernel(values, gpu)
    assert choice.kernel == kernel and choice.reason


@pytest.mark.parametrize("backend, cell, masked, kernel", [
    ("jax", "lstm", False, "cudnn"),       # keras/src/backend/jax/rnn.py: jax.experimental.rnn
    ("jax", "gru", False, "generic"),      # a fused lax.scan, not cuDNN
    ("jax", "lstm", True, "generic"),      # no mask on JAX's cuDNN path
    ("tensorflow", "lstm", True, "cudnn"),  # right-padded masks are fine on TensorFlow
    ("torch", "gru", False, "cudnn"),
    ("jax", "peephole", False, "generic"),
])
def test_trial_kernel_per_backend(backend, cell, masked, kernel):
    choice = trial_kernel({"cell": cell, "recurrent_dropout": [0.0]}, True, backend, masked)
    assert choice.kernel == kernel and choice.reason
    assert trial_kernel({"cell": cell}, False, backend, masked).kernel == "cpu"


def _specs(text: str):
    import yaml

    from lstm_automl.config.schema import SweepConfig

    return SweepConfig.model_validate(yaml.safe_load(text)).search.specs()


BASE = "name: k\ndata: {source: builtin:airline}\n"


def test_space_notes_name_what_leaves_cudnn():
    notes = space_kernel_notes(_specs(BASE + "search:\n  cell: {choice: [lstm, peephole, "
                                      "simple_rnn]}\n  recurrent_dropout: {float: [0.0, 0.3]}\n"))
    assert len(notes) == 2
    assert notes[0].startswith("search.cell: on a GPU with tensorflow, peephole and simple_rnn "
                               "trials run Keras' generic step loop")
    assert "lstm use cuDNN" in notes[0]
    assert notes[1].startswith("search.recurrent_dropout: can be > 0")


def test_no_space_notes_when_every_trial_can_use_cudnn():
    assert space_kernel_notes(_specs(BASE + "search: {cell: {choice: [lstm, gru]}}\n")) == []
    assert space_kernel_notes(_specs(BASE + "search: {cell: gru, recurrent_dropout: 0.0}\n")) == []


def test_validate_prints_the_gpu_notes(capsys):
    from conftest import SWEEPS
    from lstm_automl.cli import main

    # sunspots_families searches peephole and simple_rnn next to lstm and gru
    assert main(["validate", str(SWEEPS / "sunspots_families.yaml"), "--no-data"]) == 0
    out = capsys.readouterr().out
    assert "note: search.cell: on a GPU with " in out
    assert "peephole and simple_rnn trials run Keras' generic step loop" in out


def test_space_notes_follow_the_backend_rules():
    """On JAX only LSTM has a cuDNN path (GRU runs a fused scan), so a GRU space gets a note
    there and none on TensorFlow."""
    gru = _specs(BASE + "search: {cell: {choice: [lstm, gru]}, recurrent_dropout: 0.1}\n")
    on_tf = space_kernel_notes(gru, "tensorflow")
    on_jax = space_kernel_notes(gru, "jax")
    assert [n.split(":")[0] for n in on_tf] == ["search.recurrent_dropout"]
    assert "lstm/gru trials off cuDNN" in on_tf[0]
    assert on_jax[0].startswith("search.cell: on a GPU with jax, gru trials run Keras' generic")
    assert on_jax[0].endswith("; lstm use cuDNN")
    assert "takes lstm trials off cuDNN" in on_jax[1]


# ------------------------------------------------------------------- TensorFlow from here on

def _values(**overrides):
    base = {
        "cell": "lstm", "bidirectional": False, "layers": 1, "units": [4], "dropout": [0.0],
        "recurrent_dropout": [0.0], "conv_front": False, "conv_filters": None,
        "conv_kernel_size": None, "dense_layers": 1, "dense_units": [4],
        "dense_activation": "relu", "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None,
    }
    base.update(overrides)
    return base


@pytest.mark.parametrize("layers, bidirectional, xla", [(1, False, True), (1, True, False),
                                                        (2, False, False)])
def test_auto_xla_only_where_it_measured_faster(keras_session, layers, bidirectional, xla):
    from lstm_automl.model.hypermodel import XLA_WHERE_FASTER, ModelShape, build_model

    values = _values(layers=layers, bidirectional=bidirectional, units=[4] * layers,
                     dropout=[0.0] * layers, recurrent_dropout=[0.0] * layers)
    model = build_model(values, ModelShape(6, 2, 1), seed=1, jit_compile=XLA_WHERE_FASTER)
    assert model.jit_compile is xla


def test_gpu_visible_agrees_with_tensorflow():
    import tensorflow as tf

    from lstm_automl.model.kernel_tags import gpu_visible, kernel_tag

    gpu = bool(tf.config.list_physical_devices("GPU"))
    assert gpu_visible() is gpu
    assert kernel_tag({"cell": "lstm", "recurrent_dropout": [0.0]}) == ("cudnn" if gpu else "cpu")


@pytest.mark.backend_contract
def test_jax_is_always_jitted():
    """Un-jitted, Keras runs JAX op by op (tens of times slower): every setting means XLA."""
    import keras

    from lstm_automl.model.hypermodel import resolve_jit

    if keras.backend.backend() != "jax":
        pytest.skip("JAX backend only")
    assert resolve_jit("auto", 1) is True and resolve_jit(False, 10**12) is True


def test_resolve_jit_on_this_cpu():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the XLA rule is TensorFlow's")
    import tensorflow as tf

    from lstm_automl.model.hypermodel import XLA_MIN_WORK, XLA_WHERE_FASTER, resolve_jit

    assert resolve_jit(True, 1) is True and resolve_jit(False, 10**12) is False
    if tf.config.list_physical_devices("GPU"):
        assert resolve_jit("auto", XLA_MIN_WORK) == "auto"
    else:
        assert resolve_jit("auto", XLA_MIN_WORK) == XLA_WHERE_FASTER
        assert resolve_jit("auto", XLA_MIN_WORK - 1) is False


def test_mask_is_right_padded_and_keeps_inner_zero_steps(keras_session):
    """cuDNN takes only right-padded masks: a zero step inside a sequence is a real step."""
    from lstm_automl.model.hypermodel import _sequence_mask

    x = np.zeros((3, 5, 2), dtype="float32")
    x[0, [0, 2], 0] = 1.0  # zero step at 1 inside, padding from 3
    x[1, :, 1] = 1.0  # no padding
    # x[2] all zero: one zero step, never an empty sequence
    mask = np.asarray(_sequence_mask(x))
    np.testing.assert_array_equal(mask, [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])


JAX_TOO = [pytest.mark.backend_contract]


@pytest.mark.parametrize("cell, task, n_outputs, positions", [
    pytest.param("lstm", "forecast", 2, 0, marks=JAX_TOO), ("lstm", "classify", 3, 0),
    ("lstm", "classify", 3, 4), ("peephole", "forecast", 2, 0),
    ("peephole", "classify", 3, 0), pytest.param("peephole", "classify", 3, 4, marks=JAX_TOO)])
def test_mixed_precision_keeps_output_and_loss_float32(keras_session, cell, task, n_outputs,
                                                       positions):
    """What ``training.mixed_precision: true`` sets (mixed_float16): float16 body, float32
    weights, float32 head and loss; a tiny fit on CPU stays finite."""
    import keras

    from lstm_automl.model.hypermodel import ModelShape, build_model, resolve_jit

    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        shape = ModelShape(6, 2, n_outputs, task, positions=positions)
        # No XLA on TensorFlow; JAX is always jitted (op by op it is tens of times slower).
        model = build_model(_values(cell=cell), shape, seed=1, jit_compile=resolve_jit(False, 0))
        recurrent = model.get_layer(f"{cell}_0")
        # JAX's cuDNN LSTM takes float32 only (the GPU check found float16 failing on an H200).
        on_jax_cudnn = cell == "lstm" and keras.backend.backend() == "jax"
        assert recurrent.compute_dtype == ("float32" if on_jax_cudnn else "float16")
        assert all(w.dtype == "float32" for w in model.weights)
        assert model.get_layer("output").compute_dtype == "float32"
        assert model.output.dtype == "float32"
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(16, 6, 2)).astype("float32")
        if task == "forecast":
            y = rng.normal(size=(16, n_outputs)).astype("float32")
        else:
            y = rng.integers(0, n_outputs, size=(16, positions) if positions else (16,))
        history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        assert model.predict(x, verbose=0).dtype == np.float32
    finally:
        keras.mixed_precision.set_global_policy(before)
    assert keras.mixed_precision.global_policy().name == before


@pytest.mark.backend_contract
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_mixed_precision_bidirectional_wrapper_computes_in_its_layers_dtype(keras_session, cell):
    """On JAX a Bidirectional LSTM runs one fused cuDNN call in the wrapper's dtype, which
    takes float32 only (float16 failed on an H200): the wrapper takes its layer's dtype, float32
    for a JAX LSTM, the mixed policy otherwise. A tiny fit stays finite."""
    import keras

    from lstm_automl.model.hypermodel import ModelShape, build_model, resolve_jit

    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(_values(cell=cell, bidirectional=True), ModelShape(6, 2, 1),
                            seed=1, jit_compile=resolve_jit(False, 0))
        wrapper = model.get_layer("bidirectional_0")
        on_jax_cudnn = cell == "lstm" and keras.backend.backend() == "jax"
        expected = "float32" if on_jax_cudnn else "float16"
        assert wrapper.compute_dtype == wrapper.forward_layer.compute_dtype == expected
        assert wrapper.backward_layer.compute_dtype == expected
        x = np.random.default_rng(0).normal(size=(16, 6, 2)).astype("float32")
        history = model.fit(x, x[:, -1, :1], epochs=1, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"][0])
    finally:
        keras.mixed_precision.set_global_policy(before)
