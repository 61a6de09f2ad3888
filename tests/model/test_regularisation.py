"""recurrent_l2 and weight_decay (issue 12): the model gets the regularizer on its recurrent
kernels and the optimizer its decoupled weight decay, on every cell family and optimizer."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_automl.config.names import CELL_FAMILIES
from lstm_automl.data.base import ModelShape
from tests.model.test_hypermodel import fit_once, values

pytestmark = pytest.mark.usefixtures("keras_session")


def _recurrent_cells(model):
    """The recurrent cells of a model, wrapped in Bidirectional or not."""
    cells = []
    for layer in model.layers:
        for sub in (getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None),
                    layer):
            if sub is not None and hasattr(sub, "cell"):
                cells.append(sub.cell)
                break
    return cells


@pytest.mark.parametrize("cell", sorted(CELL_FAMILIES))
def test_recurrent_l2_regularises_the_recurrent_kernels_only(cell):
    from lstm_automl.model.hypermodel import build_model

    model = build_model(values(cell=cell, layers=2, units=[4, 3], dropout=[0.0, 0.0],
                               recurrent_dropout=[0.0, 0.0], recurrent_l2=1e-3),
                        ModelShape(6, 2, 1), seed=1)
    cells = _recurrent_cells(model)
    assert len(cells) == 2
    for found in cells:
        assert float(found.recurrent_regularizer.l2) == pytest.approx(1e-3)
        assert found.kernel_regularizer is None  # that is ``l2``'s
    assert len(model.losses) == 2  # one penalty per recurrent kernel
    plain = build_model(values(cell=cell), ModelShape(6, 2, 1))
    assert _recurrent_cells(plain)[0].recurrent_regularizer is None and not plain.losses
    fit_once(model)


def test_recurrent_l2_penalty_is_the_factor_times_the_squared_recurrent_kernel():
    from lstm_automl.model.hypermodel import build_model

    model = build_model(values(recurrent_l2=0.25), ModelShape(6, 2, 1), seed=1)
    kernel = np.asarray(_recurrent_cells(model)[0].recurrent_kernel.numpy())
    assert float(np.asarray(model.losses[0])) == pytest.approx(0.25 * float(np.sum(kernel**2)),
                                                              rel=1e-5)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_weight_decay_reaches_the_optimizer(optimizer):
    from lstm_automl.model.hypermodel import build_model

    model = build_model(values(optimizer=optimizer, weight_decay=0.05), ModelShape(6, 2, 1))
    assert model.optimizer.weight_decay == pytest.approx(0.05)
    plain = build_model(values(optimizer=optimizer), ModelShape(6, 2, 1))
    assert plain.optimizer.weight_decay == (1e-4 if optimizer == "adamw" else None)
    fit_once(model)


def test_weight_decay_shrinks_weights_that_get_no_gradient():
    """Decoupled decay: with zero gradients (a zero loss) only the decay moves the weights,
    each step by learning_rate x weight_decay of their value."""
    from lstm_automl.model.hypermodel import build_model

    model = build_model(values(optimizer="sgd", learning_rate=0.1, weight_decay=0.5,
                               momentum=0.0), ModelShape(6, 2, 1), seed=1)
    x = np.zeros((8, 6, 2), dtype="float32")
    before = np.asarray(model.get_layer("output").kernel.numpy())
    target = model.predict(x, verbose=0)  # the model's own output: zero error, zero gradient
    model.fit(x, target, epochs=1, batch_size=8, verbose=0)
    after = np.asarray(model.get_layer("output").kernel.numpy())
    np.testing.assert_allclose(after, before * (1 - 0.1 * 0.5), rtol=1e-4, atol=1e-6)
