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

NEW_KEYS = ("batch_norm_between", "output_activation")


def _built(shape: ModelShape = ModelShape(6, 2, 1), **search: object):
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
