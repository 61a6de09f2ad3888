"""The ``python_function`` loader of models that lstm-sweep registers.

MLflow's own Keras loader cannot rebuild a model that uses ``PeepholeLSTMCell`` in a process
that never imported lstm_automl: Keras 3 refuses, on purpose, to import third-party modules while
deserializing. This loader imports the cells first (the package ships inside the model's
``code/`` folder, so it works even where lstm-sweep is not installed), then loads the same
``.keras`` file that the ``keras`` flavor points at.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np


class SweepModel:
    """What ``mlflow.pyfunc.load_model`` wraps: predicts from windows of scaled inputs."""

    def __init__(self, keras_model: Any) -> None:
        self.keras_model = keras_model

    def get_raw_model(self) -> Any:
        """The Keras model itself, for users who want to fine-tune or inspect it."""
        return self.keras_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> np.ndarray:
        array = np.asarray(data, dtype=np.float32)
        expected = self.keras_model.input_shape
        if array.ndim == 2 and len(expected) == 3:
            array = array[None, ...]  # one window given without the batch axis
        return np.asarray(self.keras_model.predict(array, verbose=0))


def _load_pyfunc(path: str) -> SweepModel:
    from mlflow.keras.load import _load_keras_model
    from mlflow.models import Model

    import lstm_automl.cells  # noqa: F401  registers PeepholeLSTMCell with Keras

    root = path if os.path.isfile(os.path.join(path, "MLmodel")) else os.path.dirname(path)
    model_conf = Model.load(os.path.join(root, "MLmodel"))
    return SweepModel(_load_keras_model(root, model_conf))
