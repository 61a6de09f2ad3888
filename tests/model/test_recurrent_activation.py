"""activation (issue 12): the recurrent layers' own activation, and what it does to cuDNN."""

from __future__ import annotations

import pytest

from lstm_automl.config.names import CELL_FAMILIES
from lstm_automl.data.base import ModelShape
from lstm_automl.model.kernel_tags import space_kernel_notes, trial_kernel
from tests.model.test_hypermodel import fit_once, values
from tests.model.test_kernels import BASE, _specs
from tests.model.test_regularisation import _recurrent_cells


@pytest.mark.usefixtures("keras_session")
@pytest.mark.parametrize("cell", sorted(CELL_FAMILIES))
def test_every_family_takes_the_activation(cell):
    import keras

    from lstm_automl.model.hypermodel import build_model

    model = build_model(values(cell=cell, activation="relu", bidirectional=True),
                        ModelShape(6, 2, 1), seed=1)
    (found,) = _recurrent_cells(model)
    assert found.activation is keras.activations.relu
    plain = build_model(values(cell=cell), ModelShape(6, 2, 1))
    assert _recurrent_cells(plain)[0].activation is keras.activations.tanh
    fit_once(model)


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_an_activation_other_than_tanh_leaves_cudnn(backend):
    relu = trial_kernel({"cell": "lstm", "activation": "relu"}, True, backend)
    assert relu.kernel == "generic" and "activation relu" in relu.reason
    assert trial_kernel({"cell": "lstm", "activation": "tanh"}, True, backend).kernel == "cudnn"
    assert trial_kernel({"cell": "lstm"}, True, backend).kernel == "cudnn"  # older trials
    assert trial_kernel({"cell": "lstm", "activation": "relu"}, False, backend).kernel == "cpu"


def test_the_space_note_names_the_activations_that_leave_cudnn():
    notes = space_kernel_notes(_specs(BASE + "search:\n  activation: {choice: [tanh, relu]}\n"),
                               "jax")
    assert notes == ["search.activation: relu takes lstm trials off cuDNN onto the generic loop "
                     "on a GPU with jax (cuDNN runs tanh only)"]
    assert space_kernel_notes(_specs(BASE + "search:\n  activation: tanh\n")) == []
