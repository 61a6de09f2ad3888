"""The ``python_function`` loader of models that lstm-sweep registers.

MLflow's own Keras loader cannot rebuild a model that uses ``PeepholeLSTMCell`` in a process
that never imported lstm_automl: Keras 3 refuses, on purpose, to import third-party modules while
deserializing. This loader imports the cells first (the package ships inside the model's
``code/`` folder), loads the ``.keras`` file and wraps it with the saved preprocessing, so that
raw tables go in and original units come out.

A model is portable across Keras backends: where the loading process has not chosen one, the
loader picks the one the model trained on if it is installed (``loading_backend``).
"""

from __future__ import annotations

import functools
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from lstm_automl.errors import RawInputError
from lstm_automl.model.backend import (
    BACKENDS,
    ENV,
    imported_backend,
    installed,
    keep_tensorflow_out,
)
from lstm_automl.serving.folder import BACKEND_FILE, KERAS_FILE, PYTHON_MODULE_FILE, SPEC_FILE
from lstm_automl.serving.model_call import predict_windows
from lstm_automl.serving.predict import predict_raw


class SweepModel:
    """What ``mlflow.pyfunc.load_model`` wraps.

    One prediction at a time: ``mlflow models serve`` runs requests in threads, and neither
    Keras' ``predict`` on JAX (it detaches the weights while it runs) nor Monte-Carlo dropout
    (it reseeds the model) may run twice at once on one model."""

    def __init__(self, keras_model: Any, spec: dict[str, Any] | None) -> None:
        self.keras_model = keras_model
        self.spec = spec
        self._one_at_a_time = threading.Lock()

    def get_raw_model(self) -> Any:
        """The Keras model itself (it takes scaled windows), to inspect or fine-tune."""
        return self.keras_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """A raw table (DataFrame) → predictions in original units; a NumPy array of already
        scaled windows → the network's raw output. A request that cannot be taken raises
        ``RawInputError`` (an ``MlflowException`` too, which MLflow's server answers with 400)."""
        try:
            with self._one_at_a_time:
                return self._predict(data)
        except RawInputError as exc:
            raise refused(str(exc)) from None

    def _predict(self, data: Any) -> Any:
        if self.spec is not None and self.spec.get("text") and not (
                isinstance(data, np.ndarray) and data.dtype.kind in "iuf"):
            return predict_raw(self.spec, self.keras_model, data)  # strings: raw texts
        if isinstance(data, np.ndarray) or self.spec is None:
            return predict_windows(self.keras_model, data)
        return predict_raw(self.spec, self.keras_model, data)


@functools.cache
def _refusal_class() -> type[RawInputError]:
    """``RawInputError`` that is also MLflow's INVALID_PARAMETER_VALUE (HTTP 400), made on first
    use so that importing this module does not import MLflow."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    class RequestRefused(RawInputError, MlflowException):
        def __init__(self, message: str) -> None:
            MlflowException.__init__(self, message, error_code=INVALID_PARAMETER_VALUE)

    return RequestRefused


def refused(message: str) -> RawInputError:
    """The error a refused request raises: a 400 with ``message`` from MLflow's server."""
    try:
        return _refusal_class()(message)
    except ImportError:  # no MLflow here: nobody serves this model over HTTP
        return RawInputError(message)


def loading_backend(folder: Path) -> str | None:
    """The backend to load on when the process has none yet (no Keras imported, no
    ``KERAS_BACKEND``): the one the model trained on if installed, else the first installed of
    TensorFlow, JAX, PyTorch. A model loads on any backend; None: the process already has one."""
    if imported_backend() is not None or os.environ.get(ENV):
        return None
    record = folder / BACKEND_FILE
    saved = json.loads(record.read_text()).get("backend") if record.exists() else None
    for name in (saved, *BACKENDS):
        if name in BACKENDS and installed(name):
            os.environ[ENV] = name
            return name
    return None


def _load_pyfunc(path: str) -> SweepModel:
    folder = Path(path)
    loading_backend(folder)  # before Keras is imported
    import keras

    import lstm_automl.model.cells  # noqa: F401  registers PeepholeLSTMCell (defers keras)
    import lstm_automl.model.metrics  # noqa: F401  and the extra metrics (defers keras)

    keep_tensorflow_out()
    module_file = folder / PYTHON_MODULE_FILE
    user_code = module_file.exists()
    if user_code:  # model.python: its file ships in code/, which MLflow puts on sys.path;
        # importing it registers the custom Keras objects it defines
        import importlib

        importlib.import_module(json.loads(module_file.read_text())["module"])
    spec_file = folder / SPEC_FILE
    spec = json.loads(spec_file.read_text()) if spec_file.exists() else None
    # Keras' safe mode refuses Lambda layers (their Python code is stored as bytecode). A model
    # from the user's own file has just run that file's code, so safe mode protects nothing
    # there, and without it such a model would register but never load.
    model = keras.saving.load_model(folder / KERAS_FILE, safe_mode=not user_code)
    return SweepModel(model, spec)
