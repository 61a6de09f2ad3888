"""``task: label`` models: sequence outputs through the whole stack, a softmax per step, and a
loss and metrics that padding after a sequence's end never changes."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_automl.data.base import PAD_LABEL, ModelShape
from lstm_automl.data.step_labels import step_metrics
from lstm_automl.model.hypermodel import build_model
from lstm_automl.model.step_metrics import StepAccuracy, StepMacroF1, step_loss

pytestmark = pytest.mark.usefixtures("keras_session")


def values(cell="lstm", bidirectional=False, layers=2, conv=False, dense=0):
    return {
        "cell": cell, "bidirectional": bidirectional, "layers": layers,
        "units": [4, 3][:layers], "dropout": [0.0] * layers,
        "recurrent_dropout": [0.0] * layers, "conv_front": conv,
        "conv_filters": 4 if conv else None, "conv_kernel_size": 3 if conv else None,
        "dense_layers": dense, "dense_units": [5] * dense, "dense_activation": "relu",
        "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse", "batch_size": 8,
        "clipnorm": None,
    }


@pytest.mark.parametrize("kwargs", [{}, {"bidirectional": True, "conv": True, "dense": 1},
                                    {"layers": 1, "cell": "gru"}])
def test_every_recurrent_layer_returns_its_sequence_and_each_step_gets_a_softmax(kwargs):
    model = build_model(values(**kwargs), ModelShape(7, 2, 3, "label"), seed=1)
    assert model.output_shape == (None, 7, 3)
    probs = model.predict(np.random.default_rng(0).normal(size=(2, 7, 2)), verbose=0)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)
    assert model.get_layer("output").dtype_policy.compute_dtype == "float32"


def test_the_loss_and_metrics_count_real_steps_only_by_hand():
    labels = np.array([[0, 1, PAD_LABEL], [1, PAD_LABEL, PAD_LABEL]])
    probs = np.array([[[0.7, 0.3], [0.6, 0.4], [0.0, 1.0]],
                      [[0.2, 0.8], [1.0, 0.0], [0.5, 0.5]]], dtype="float32")
    # real steps: (0 -> 0.7 right), (1 -> 0.4 wrong), (1 -> 0.8 right)
    loss = float(step_loss()(labels, probs))
    assert loss == pytest.approx(-np.log([0.7, 0.4, 0.8]).mean(), rel=1e-5)
    accuracy = StepAccuracy()
    accuracy.update_state(labels, probs)
    assert float(accuracy.result()) == pytest.approx(2 / 3)
    f1 = StepMacroF1(2)
    f1.update_state(labels, probs)
    # class 0: tp1 fp1 fn0 -> 2/3; class 1: tp1 fp0 fn1 -> 2/3
    assert float(f1.result()) == pytest.approx(2 / 3, rel=1e-5)
    assert step_metrics(labels, probs)["accuracy"] == pytest.approx(2 / 3)


@pytest.mark.backend_contract
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_changes_neither_predictions_nor_loss_nor_metrics(bidirectional):
    rng = np.random.default_rng(0)
    short = rng.normal(size=(3, 5, 2)).astype("float32")
    labels = rng.integers(0, 3, size=(3, 5))
    padded = np.concatenate([short, np.zeros((3, 4, 2), dtype="float32")], axis=1)
    padded_labels = np.concatenate([labels, np.full((3, 4), PAD_LABEL)], axis=1)
    masked = build_model(values(bidirectional=bidirectional),
                         ModelShape(9, 2, 3, "label", masked=True), seed=1,
                         metrics=("macro_f1",))
    plain = build_model(values(bidirectional=bidirectional), ModelShape(5, 2, 3, "label"),
                        seed=1, metrics=("macro_f1",))
    plain.set_weights(masked.get_weights())
    np.testing.assert_allclose(masked.predict(padded, verbose=0)[:, :5],
                               plain.predict(short, verbose=0), rtol=1e-5, atol=1e-6)
    got = masked.evaluate(padded, padded_labels, verbose=0, return_dict=True)
    want = plain.evaluate(short, labels, verbose=0, return_dict=True)
    assert set(got) == {"loss", "accuracy", "macro_f1"}
    for name in got:
        assert got[name] == pytest.approx(want[name], rel=1e-5, abs=1e-6), name
    numpy = step_metrics(padded_labels, masked.predict(padded, verbose=0))
    assert got["accuracy"] == pytest.approx(numpy["accuracy"])
    assert got["loss"] == pytest.approx(numpy["log_loss"], rel=1e-5)
