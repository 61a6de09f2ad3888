"""The LSTM-FCN branch (``fcn_branch``, ``fcn_filters``, ``dimension_shuffle``): what the builder
makes of it, padding, saving, and how the space declares it. Tiny models, no training."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import numpy as np
import pytest

from lstm_automl.config.schema import SearchConfig
from lstm_automl.data.base import ModelShape
from lstm_automl.model.fcn import BN_MOMENTUM, FCN_BLOCKS
from lstm_automl.model.hypermodel import build_model
from lstm_automl.model.space import declare_space

pytestmark = pytest.mark.usefixtures("keras_session")


def values(**changes):
    base = {
        "cell": "lstm", "bidirectional": False, "layers": 1, "units": [4], "dropout": [0.0],
        "recurrent_dropout": [0.0], "conv_front": False, "conv_filters": None,
        "conv_kernel_size": None, "dense_layers": 0, "dense_units": [],
        "dense_activation": None, "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None,
    }
    return {**base, **changes}


def fcn_weights(filters: int, channels: int) -> int:
    """Conv kernels and biases, and BatchNorm's four vectors, of the three blocks."""
    total, before = 0, channels
    for scale, kernel in FCN_BLOCKS:
        out = filters * scale
        total += kernel * before * out + out + 4 * out
        before = out
    return total


def test_the_branch_sits_beside_the_recurrent_stack_and_joins_it_before_the_head():
    shape = ModelShape(30, 2, 3, "classify")
    plain = build_model(values(), shape, seed=1)
    fcn = build_model(values(fcn_branch=True, fcn_filters=8), shape, seed=1)
    names = [layer.name for layer in fcn.layers]
    assert not any(n.startswith("fcn") for n in (layer.name for layer in plain.layers))
    assert [n for n in names if n.startswith("fcn_conv")] == ["fcn_conv_0", "fcn_conv_1",
                                                              "fcn_conv_2"]
    assert [fcn.get_layer(f"fcn_conv_{i}").filters for i in range(3)] == [8, 16, 8]
    assert [fcn.get_layer(f"fcn_conv_{i}").kernel_size for i in range(3)] == [(8,), (5,), (3,)]
    # Moving statistics that settle within the few steps a small training set gives.
    assert {fcn.get_layer(f"fcn_norm_{i}").momentum for i in range(3)} == {BN_MOMENTUM} != {0.99}
    joined = fcn.get_layer("fcn_concat")
    assert [t.shape[-1] for t in joined.input] == [4, 8]  # the LSTM's last state, pooled FCN
    assert fcn.get_layer("output").input.shape[-1] == 12
    assert fcn.name == "lstm_x1_fcn"
    # Only the branch and the wider head are new.
    assert fcn.count_params() - plain.count_params() == fcn_weights(8, 2) + 8 * 3
    # The paper's 128, 256, 128 filters on a univariate series: about 264 thousand weights.
    paper = build_model(values(fcn_branch=True), ModelShape(251, 1, 3, "classify"), seed=1)
    assert paper.get_layer("fcn_conv_1").filters == 256
    assert 260_000 < paper.count_params() - plain.count_params() < 270_000


def test_dimension_shuffle_feeds_the_recurrent_stack_one_step_per_channel():
    shape = ModelShape(30, 2, 3, "classify")
    model = build_model(values(fcn_branch=True, fcn_filters=4, dimension_shuffle=True),
                        shape, seed=1)
    assert tuple(model.get_layer("lstm_0").input.shape) == (None, 2, 30)
    assert tuple(model.get_layer("fcn_conv_0").input.shape) == (None, 30, 2)
    # Off without the branch (the key belongs to it; validate refuses it alone).
    alone = build_model(values(dimension_shuffle=True), shape, seed=1)
    assert tuple(alone.get_layer("lstm_0").input.shape) == (None, 30, 2)


@pytest.mark.backend_contract
@pytest.mark.parametrize("conv_front", [False, True])
def test_padding_does_not_change_predictions(conv_front: bool):
    """BatchNorm statistics, the zeros between blocks and the pooling see real steps only."""
    rng = np.random.default_rng(0)
    short = rng.normal(size=(2, 5, 2)).astype("float32")
    padded = np.concatenate([short, np.zeros((2, 6, 2), dtype="float32")], axis=1)
    settings = values(fcn_branch=True, fcn_filters=4, conv_front=conv_front,
                      conv_filters=3 if conv_front else None,
                      conv_kernel_size=3 if conv_front else None)
    masked = build_model(settings, ModelShape(11, 2, 3, "classify", masked=True), seed=1)
    plain = build_model(settings, ModelShape(5, 2, 3, "classify"), seed=1)
    plain.set_weights(masked.get_weights())
    np.testing.assert_allclose(masked.predict(padded, verbose=0),
                               plain.predict(short, verbose=0), rtol=1e-5, atol=1e-6)
    # Trained one step on the same sequences, BatchNorm's moving statistics agree too.
    labels = np.array([0, 2])
    masked.train_on_batch(padded, labels)
    plain.train_on_batch(short, labels)
    np.testing.assert_allclose(masked.get_layer("fcn_norm_0").moving_mean.numpy(),
                               plain.get_layer("fcn_norm_0").moving_mean.numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.backend_contract
def test_saved_and_loaded_in_keras_format_safely(tmp_path: Path):
    import keras

    shape = ModelShape(12, 2, 3, "classify", masked=True)
    model = build_model(values(fcn_branch=True, fcn_filters=4, dimension_shuffle=True,
                               bidirectional=True), shape, seed=1)
    x = np.random.default_rng(1).normal(size=(3, 12, 2)).astype("float32")
    x[0, 7:] = 0.0
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_a_forecast_and_a_regression_build_with_it():
    forecast = ModelShape(12, 1, 3, "forecast", target_channel=0)
    model = build_model(values(fcn_branch=True, fcn_filters=4, window_norm="last",
                               residual="naive"), forecast, seed=1)
    window = np.linspace(0, 1, 12, dtype="float32").reshape(1, 12, 1)
    assert model.predict(window, verbose=0).shape == (1, 3)
    assert model.get_layer("fcn_conv_0").input.shape[-1] == 1
    regress = build_model(values(fcn_branch=True, fcn_filters=4), ModelShape(9, 3, 1, "regress"),
                          seed=1)
    assert regress.predict(np.ones((2, 9, 3), "float32"), verbose=0).shape == (2, 1)


def _declared(search: dict) -> tuple[kt.HyperParameters, dict]:
    hp = kt.HyperParameters()
    return hp, declare_space(hp, SearchConfig.model_validate(search).specs())


def test_the_space_declares_filters_and_shuffle_only_under_the_branch():
    hp, chosen = _declared({"fcn_branch": {"choice": [False, True]},
                            "fcn_filters": {"choice": [32, 64]},
                            "dimension_shuffle": {"choice": [False, True]}})
    declared = {p.name: p for p in hp.space}
    assert {"fcn_branch", "fcn_filters", "dimension_shuffle"} <= set(declared)
    assert chosen["fcn_branch"] is False and chosen["fcn_filters"] is None
    assert not hp.is_active(declared["fcn_filters"])
    hp.values["fcn_branch"] = True  # as the tuner samples it
    assert hp.is_active(declared["fcn_filters"]) and hp.is_active(declared["dimension_shuffle"])
    # Fixed on, the children are plain values; the paper's filters by default.
    hp, chosen = _declared({"fcn_branch": True})
    assert chosen["fcn_branch"] is True and chosen["fcn_filters"] == 128
    assert chosen["dimension_shuffle"] is False and "fcn_filters" not in hp.values
