"""Sampled values → compiled Keras models for every family and option of the search space."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_automl.config.names import CELL_FAMILIES, LOSSES, OPTIMIZERS

pytestmark = pytest.mark.usefixtures("keras_session")


def values(**overrides):
    base = {
        "cell": "lstm", "bidirectional": False, "layers": 1, "units": [4], "dropout": [0.0],
        "recurrent_dropout": [0.0], "conv_front": False, "conv_filters": None,
        "conv_kernel_size": None, "dense_layers": 0, "dense_units": [],
        "dense_activation": None, "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None,
    }
    base.update(overrides)
    return base


def fit_once(model, horizon=1):
    x = np.random.default_rng(0).normal(size=(16, 6, 2)).astype("float32")
    y = np.random.default_rng(1).normal(size=(16, horizon)).astype("float32")
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0, validation_data=(x, y))
    assert set(history.history) >= {"loss", "mae", "rmse", "val_loss", "val_mae", "val_rmse"}
    # an inference call, as predict makes, without tracing a third function
    assert tuple(model(x, training=False).shape) == (16, horizon)


def test_registries_match_the_light_names():
    from lstm_automl.config.names import NORMALIZATIONS, TUNER_ALGORITHMS
    from lstm_automl.model.cells import CELLS
    from lstm_automl.model.hypermodel import LOSSES as KERAS_LOSSES
    from lstm_automl.model.hypermodel import NORMALIZATION_LAYERS
    from lstm_automl.tuning.tuners import TUNERS

    assert set(CELLS) == set(CELL_FAMILIES)
    assert set(KERAS_LOSSES) == set(LOSSES)
    assert set(NORMALIZATION_LAYERS) == set(NORMALIZATIONS)
    assert set(TUNERS) == set(TUNER_ALGORITHMS)


@pytest.mark.parametrize("cell", sorted(CELL_FAMILIES))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_family_builds_stacked_and_bidirectional(cell, bidirectional):
    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(
        values(cell=cell, bidirectional=bidirectional, layers=2, units=[4, 3],
               dropout=[0.1, 0.0], recurrent_dropout=[0.0, 0.1]),
        ModelShape(6, 2, 1), seed=1,
    )
    recurrent = [layer for layer in model.layers if layer.name.startswith(("bidirectional", cell))]
    assert len(recurrent) == 2
    fit_once(model)


def test_conv_front_dense_head_and_multi_step_output():
    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(
        values(conv_front=True, conv_filters=4, conv_kernel_size=9, dense_layers=2,
               dense_units=[5, 3], dense_activation="gelu"),
        ModelShape(6, 2, 3), seed=1,
    )
    names = [layer.name for layer in model.layers]
    assert "conv_front" in names and "dense_0" in names and "dense_1" in names
    fit_once(model, horizon=3)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_with_clipping(optimizer):
    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(values(optimizer=optimizer, clipnorm=1.0), ModelShape(6, 2, 1))
    assert model.optimizer.clipnorm == 1.0
    fit_once(model)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss(loss):
    from lstm_automl.model.hypermodel import ModelShape, build_model

    fit_once(build_model(values(loss=loss), ModelShape(6, 2, 1)))


def test_same_seed_gives_the_same_initial_weights():
    import keras

    from lstm_automl.model.hypermodel import ModelShape, build_model

    def weights():
        keras.backend.clear_session()
        keras.utils.set_random_seed(5)
        return build_model(values(cell="peephole"), ModelShape(6, 2, 1)).get_weights()

    first, second = weights(), weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


# --------------------------------------------------------------------------- issue 12 options


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def test_defaults_add_no_new_layers():
    import keras

    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(values(layers=2, units=[4, 3], dropout=[0.0, 0.0],
                               recurrent_dropout=[0.0, 0.0], dense_layers=1, dense_units=[3],
                               dense_activation="relu"), ModelShape(6, 2, 1))
    assert not _layers_of(model, keras.layers.Dropout)
    assert not _layers_of(model, (keras.layers.BatchNormalization,
                                  keras.layers.LayerNormalization))


def test_layer_and_stack_dropout():
    import keras

    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(values(layers=2, units=[4, 3], dropout=[0.0, 0.0],
                               recurrent_dropout=[0.0, 0.0], layer_dropout=[0.2, 0.3],
                               stack_dropout=0.1), ModelShape(6, 2, 1), seed=1)
    rates = {layer.name: layer.rate for layer in _layers_of(model, keras.layers.Dropout)}
    assert rates == {"layer_dropout_0": 0.2, "layer_dropout_1": 0.3, "stack_dropout": 0.1}
    names = [layer.name for layer in model.layers]
    assert names.index("lstm_0") < names.index("layer_dropout_0") < names.index("lstm_1")
    assert names.index("layer_dropout_1") < names.index("stack_dropout") < names.index("output")
    fit_once(model)


def test_dense_dropout_after_each_hidden_dense_layer():
    import keras

    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(values(dense_layers=2, dense_units=[4, 3], dense_activation="relu",
                               dense_dropout=[0.25, 0.0]), ModelShape(6, 2, 1), seed=1)
    rates = {layer.name: layer.rate for layer in _layers_of(model, keras.layers.Dropout)}
    assert rates == {"dense_dropout_0": 0.25}  # rate 0: no layer
    names = [layer.name for layer in model.layers]
    assert names.index("dense_0") < names.index("dense_dropout_0") < names.index("dense_1")
    fit_once(model)


@pytest.mark.parametrize("norm, kind", [("batch", "BatchNormalization"),
                                        ("layer", "LayerNormalization")])
def test_norm_after_each_recurrent_layer_and_its_dropout(norm, kind):
    import keras

    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(values(layers=2, units=[4, 3], dropout=[0.0, 0.0],
                               recurrent_dropout=[0.0, 0.0], layer_dropout=0.1, norm=norm),
                        ModelShape(6, 2, 1), seed=1)
    normalised = _layers_of(model, getattr(keras.layers, kind))
    assert [layer.name for layer in normalised] == ["norm_0", "norm_1"]
    names = [layer.name for layer in model.layers]
    assert names.index("layer_dropout_0") < names.index("norm_0") < names.index("lstm_1")
    fit_once(model)


@pytest.mark.parametrize("norm", ["batch", "layer"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_norm_between_stacked_layers_keeps_the_mask(norm, bidirectional):
    """Padding after a sequence's end changes neither training nor the prediction."""
    from lstm_automl.model.hypermodel import ModelShape, build_model

    v = values(layers=2, units=[4, 3], dropout=[0.0, 0.0], recurrent_dropout=[0.0, 0.0],
               norm=norm, bidirectional=bidirectional)
    rng = np.random.default_rng(0)
    short = rng.normal(size=(1, 5, 2)).astype("float32")
    padded = np.concatenate([short, np.zeros((1, 4, 2), dtype="float32")], axis=1)
    masked = build_model(v, ModelShape(9, 2, 3, "classify", masked=True), seed=1)
    x = np.concatenate([rng.normal(size=(8, 5, 2)), np.zeros((8, 4, 2))], axis=1)
    masked.fit(x.astype("float32"), rng.integers(0, 3, size=8), epochs=1, verbose=0)
    plain = build_model(v, ModelShape(5, 2, 3, "classify"), seed=1)
    plain.set_weights(masked.get_weights())
    # inference calls, as predict makes (the mask is applied in the call), untraced
    np.testing.assert_allclose(np.asarray(masked(padded, training=False)),
                               np.asarray(plain(short, training=False)), rtol=1e-5, atol=1e-6)


def test_every_activation_name_is_a_keras_activation():
    import keras

    from lstm_automl.config.names import ACTIVATIONS

    for name in ACTIVATIONS:
        assert callable(keras.activations.get(name)), name


@pytest.mark.parametrize("activation", ["leaky_relu", "gelu", "softplus"])
def test_dense_activation_reaches_the_dense_layers(activation):
    import keras

    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(values(dense_layers=1, dense_units=[3], dense_activation=activation),
                        ModelShape(6, 2, 1))
    dense = model.get_layer("dense_0")
    assert dense.activation is keras.activations.get(activation)
    # no fit: an activation changes no shape; test_conv_front_dense_head... trains a dense head


@pytest.mark.parametrize("cell", sorted(CELL_FAMILIES))
def test_kernel_initializer_reaches_recurrent_and_dense_kernels(cell):
    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(values(cell=cell, bidirectional=cell == "gru", dense_layers=1,
                               dense_units=[3], dense_activation="relu",
                               kernel_initializer="he_normal"), ModelShape(6, 2, 1), seed=1)
    recurrent = model.get_layer("bidirectional_0" if cell == "gru" else f"{cell}_0")
    layer = getattr(recurrent, "forward_layer", recurrent)
    assert layer.get_config()["kernel_initializer"]["class_name"] == "HeNormal"
    assert model.get_layer("dense_0").get_config()["kernel_initializer"]["class_name"] == (
        "HeNormal")
    default = build_model(values(cell=cell), ModelShape(6, 2, 1), seed=1)
    assert default.get_layer(f"{cell}_0").get_config()["kernel_initializer"]["class_name"] == (
        "GlorotUniform")
    # no fit: an initializer only sets the first weights; test_every_family... trains each cell


def test_momentum_reaches_sgd_and_defaults_to_the_old_value():
    from lstm_automl.model.hypermodel import ModelShape, build_model

    sgd = build_model(values(optimizer="sgd", momentum=0.5), ModelShape(6, 2, 1))
    assert sgd.optimizer.momentum == pytest.approx(0.5)
    old = build_model(values(optimizer="sgd"), ModelShape(6, 2, 1))
    assert old.optimizer.momentum == pytest.approx(0.9)
    adagrad = build_model(values(optimizer="adagrad", momentum=None), ModelShape(6, 2, 1))
    assert type(adagrad.optimizer).__name__ == "Adagrad"
    # (test_every_optimizer_with_clipping[adagrad] trains with Adagrad)


@pytest.mark.parametrize("cell", ["lstm", "peephole"])
def test_l2_regularises_recurrent_and_dense_kernels(cell):
    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(values(cell=cell, dense_layers=1, dense_units=[3],
                               dense_activation="relu", l2=1e-3), ModelShape(6, 2, 1), seed=1)
    for name in (f"{cell}_0", "dense_0"):
        regularizer = model.get_layer(name).get_config()["kernel_regularizer"]
        assert regularizer["config"]["l2"] == pytest.approx(1e-3), name
    assert len(model.losses) == 2  # one penalty per regularised kernel
    assert not build_model(values(cell=cell), ModelShape(6, 2, 1)).losses
    # no fit: the penalties are in model.losses, which Keras adds to the loss it trains on


def test_deep_stacks_build():
    from lstm_automl.model.hypermodel import ModelShape, build_model

    model = build_model(values(layers=12, units=[2] * 12, dropout=[0.0] * 12,
                               recurrent_dropout=[0.0] * 12, dense_layers=16,
                               dense_units=[2] * 16, dense_activation="relu"),
                        ModelShape(6, 2, 1), seed=1)
    names = [layer.name for layer in model.layers]
    assert "lstm_11" in names and "dense_15" in names
    x = np.zeros((2, 6, 2), dtype="float32")
    assert model.predict(x, verbose=0).shape == (2, 1)
