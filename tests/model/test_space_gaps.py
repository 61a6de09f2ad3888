"""Issue 23's declarative gaps: batch_norm_between, output_activation and the added kernel
initializers reach the built model through the search space; at their defaults the model and
the tuner's space are the ones built before the keys existed."""

from __future__ import annotations

import keras_tuner as kt
import numpy as np
import pytest

from lstm_automl.config.schema import SearchConfig
from lstm_automl.data.base import ModelShape
from lstm_automl.model.space import declare_space
from tests.model.test_hypermodel import fit_once

pytestmark = [pytest.mark.usefixtures("keras_session"), pytest.mark.backend_contract]

NEW_KEYS = ("batch_norm_between", "output_activation", "conv_block", "conv_dropout", "output_bias")
SHAPE = ModelShape(6, 2, 1)


def _built(shape: ModelShape = SHAPE, **search: object):
    """The model a trial builds from ``search`` (declared on a fresh hp, as the tuner does)."""
    from lstm_automl.model.hypermodel import build_model

    hp = kt.HyperParameters()
    values = declare_space(hp, SearchConfig.model_validate(search).specs())
    return build_model(values, shape, seed=1), hp


def _cell_config(model, name: str) -> dict:
    layer = model.get_layer(name)
    return layer.cell.get_config() if hasattr(layer, "cell") else layer.get_config()


def test_batch_norm_sits_between_recurrent_layers_only():
    model, hp = _built(layers=3, units=4, batch_norm_between=True)
    names = [layer.name for layer in model.layers]
    assert [n for n in names if "batch_norm" in n] == ["batch_norm_between_0",
                                                       "batch_norm_between_1"]
    assert names.index("lstm_0") < names.index("batch_norm_between_0") < names.index("lstm_1")
    assert names.index("lstm_1") < names.index("batch_norm_between_1") < names.index("lstm_2")
    assert hp.values["batch_norm_between"] is True
    fit_once(model)
    single, _ = _built(layers=1, units=4, batch_norm_between=True)
    assert not any("batch_norm" in layer.name for layer in single.layers)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_output_activation_reaches_the_regression_head(activation: str):
    model, _ = _built(ModelShape(6, 2, 3), output_activation=activation)
    assert model.get_layer("output").get_config()["activation"] == activation
    predicted = model.predict(np.random.default_rng(0).normal(size=(16, 6, 2)), verbose=0)
    low, high = {"sigmoid": (0, 1), "tanh": (-1, 1), "relu": (0, np.inf)}[activation]
    assert predicted.min() >= low and predicted.max() <= high
    fit_once(model, horizon=3)


def test_output_activation_leaves_the_classification_head_alone():
    model, _ = _built(ModelShape(6, 2, 3, task="classify"), output_activation="sigmoid")
    assert model.get_layer("output").get_config()["activation"] == "softmax"


@pytest.mark.parametrize("initializer, keras_name", [
    ("he_uniform", "HeUniform"), ("glorot_normal", "GlorotNormal"),
    ("lecun_uniform", "LecunUniform")])
def test_added_initializers_reach_recurrent_and_dense_kernels(initializer, keras_name):
    model, _ = _built(cell="gru", units=4, dense_layers=1, dense_units=3,
                      kernel_initializer=initializer)
    for name in ("gru_0", "dense_0"):
        assert _cell_config(model, name)["kernel_initializer"]["class_name"] == keras_name
    assert _cell_config(model, "gru_0")["recurrent_initializer"]["class_name"] == "Orthogonal"
    fit_once(model)


def test_recurrent_l2_reaches_the_model_from_the_search_key():
    model, _ = _built(layers=2, units=4, recurrent_l2=0.01, l2=0.0)
    for name in ("lstm_0", "lstm_1"):
        config = _cell_config(model, name)
        assert config["recurrent_regularizer"]["config"]["l2"] == pytest.approx(0.01)
        assert config["kernel_regularizer"] is None
    assert model.get_layer("output").kernel_regularizer is None  # the head is untouched


def test_defaults_build_the_same_model_and_declare_no_new_values():
    plain, plain_hp = _built(layers=2, units=4)
    explicit, hp = _built(layers=2, units=4, batch_norm_between=False,
                          output_activation="linear")
    assert plain.get_config() == explicit.get_config()  # the network; not the optimizer name
    assert not set(NEW_KEYS) & set(hp.values) and not set(NEW_KEYS) & set(plain_hp.values)
    assert plain.get_layer("output").get_config()["activation"] == "linear"


def test_a_residual_conv_block_adds_its_shortcut_and_keeps_the_steps():
    model, hp = _built(conv_front=True, conv_filters=5, conv_kernel_size=2,
                       conv_block="residual", units=4)
    names = [layer.name for layer in model.layers]
    for expected in ("conv_front_0", "conv_front_1", "conv_front_2", "conv_front_norm_2",
                     "conv_front_shortcut", "conv_front_add", "conv_front"):
        assert expected in names
    assert model.get_layer("conv_front").output.shape[1:] == (6, 5)  # causal: every step kept
    assert names.index("conv_front") < names.index("lstm_0")
    assert hp.values["conv_block"] == "residual"
    fit_once(model)
    same_width, _ = _built(ModelShape(6, 5, 1), conv_front=True, conv_filters=5,
                           conv_block="residual", units=4)
    assert "conv_front_shortcut" not in [layer.name for layer in same_width.layers]


def test_conv_dropout_sits_between_the_front_end_and_the_stack():
    model, hp = _built(conv_front=True, conv_dropout=0.25, units=4)
    names = [layer.name for layer in model.layers]
    assert names.index("conv_front") < names.index("conv_dropout") < names.index("lstm_0")
    assert model.get_layer("conv_dropout").rate == pytest.approx(0.25)
    assert hp.values["conv_dropout"] == pytest.approx(0.25)
    fit_once(model)


def test_conv_keys_are_inactive_without_the_front_end():
    _, hp = _built(conv_block={"choice": ["plain", "residual"]}, conv_dropout=0.2)
    assert [h.name for h in hp.space if h.name.startswith("conv")] == ["conv_front"]
    model, _ = _built(conv_block="residual", conv_dropout=0.2, units=4)
    assert not [layer for layer in model.layers if layer.name.startswith("conv")]


def test_prelu_learns_the_hidden_dense_layers_slope():
    model, hp = _built(units=4, dense_layers=2, dense_units=3, dense_activation="prelu")
    for index in range(2):
        assert model.get_layer(f"dense_{index}").get_config()["activation"] == "linear"
        assert model.get_layer(f"dense_prelu_{index}").count_params() == 3
    assert hp.values["dense_activation"] == "prelu"
    fit_once(model)


def test_conv_front_defaults_build_the_model_built_before_the_keys():
    plain, plain_hp = _built(conv_front=True, units=4)
    explicit, hp = _built(conv_front=True, units=4, conv_block="plain", conv_dropout=0.0)
    assert plain.get_config() == explicit.get_config()
    assert not {"conv_block", "conv_dropout"} & set(hp.values)
    assert [layer.name for layer in plain.layers if layer.name.startswith("conv")] == [
        "conv_front"]


def test_output_prior_is_the_mean_the_log_odds_or_the_log_frequencies():
    from lstm_automl.data.base import output_prior

    assert output_prior("forecast", np.array([[1.0, 4.0], [3.0, 8.0]]), 2) == (2.0, 6.0)
    (odds,) = output_prior("classify", np.array([1, 0, 0, 0]), 1)
    assert odds == pytest.approx(np.log(0.25 / 0.75))
    # softmax: add-one smoothed counts (2+1, 0+1, 1+1 of 6), a missing class stays finite
    assert output_prior("classify", np.array([0, 0, 2]), 3) == pytest.approx(
        tuple(np.log([3 / 6, 1 / 6, 2 / 6])))
    assert output_prior("regress", np.zeros((0, 1)), 1) is None


def _bias(model, name: str = "output") -> np.ndarray:
    return np.asarray(model.get_layer(name).bias)


def test_output_bias_prior_starts_the_head_where_the_data_says():
    prior = ModelShape(6, 2, 2, output_prior=(0.5, -1.5))
    model, hp = _built(prior, output_bias="prior")
    assert hp.values["output_bias"] == "prior"
    np.testing.assert_allclose(_bias(model), [0.5, -1.5])
    fit_once(model, horizon=2)
    assert not _bias(_built(prior)[0]).any()  # zeros by default
    # The output is not the target itself: the window's level is added back; zeros are neutral.
    shape = ModelShape(6, 2, 2, target_channel=0, output_prior=(0.5, -1.5))
    assert not _bias(_built(shape, output_bias="prior", window_norm="last")[0]).any()
    assert not _bias(_built(prior, output_bias="prior", output_activation="sigmoid")[0]).any()
    binary = ModelShape(6, 2, 1, task="classify", output_prior=(-1.1,))
    np.testing.assert_allclose(_bias(_built(binary, output_bias="prior")[0]), [-1.1])


def test_output_bias_prior_comes_from_the_training_split(tmp_path):
    """The prepared data gives the builder its training targets' prior (train + validation
    for a refit)."""
    from lstm_automl.config.schema import ForecastDataConfig
    from lstm_automl.data import prepare_forecast

    data = prepare_forecast(ForecastDataConfig(source="builtin:nile", lookback=6,
                                               split={"validation": 0.2, "test": 0.2}), tmp_path)
    train, val = data.splits["train"].y, data.splits["validation"].y
    assert data.model_shape().output_prior == pytest.approx((float(train.mean()),))
    both = np.concatenate([train, val]).mean()
    assert data.model_shape(refit=True).output_prior == pytest.approx((float(both),))
