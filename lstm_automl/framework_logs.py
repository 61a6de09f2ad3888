"""Keep framework start-up chatter off the user's terminal.

TensorFlow's C++ runtime writes INFO lines to file descriptor 2 before any Python logging
setting applies, so the import itself runs with that descriptor pointed at /dev/null.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator

from lstm_automl.model.backend import prepare_backend


def quiet_frameworks() -> None:
    """Lower TensorFlow, absl, keras-tuner and MLflow logging before they are imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    for category in (UserWarning, FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    for name in ("mlflow", "absl", "tensorflow", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextlib.contextmanager
def silenced_fd2() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the block (Python exceptions still propagate)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def import_frameworks_quietly(quiet: bool = True) -> None:
    """Import Keras on its backend, and keras-tuner (which imports tensorboard on TensorFlow),
    without the INFO burst (``quiet``), then set the backend up (``backend.prepare_backend``:
    off TensorFlow, Keras' own helpers must not import it). Call it after
    ``model.backend.select_backend``: it imports TensorFlow only when that is the backend."""
    with silenced_fd2() if quiet else contextlib.nullcontext():
        import keras
        import keras_tuner  # noqa: F401

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")  # the CUDA probe logs its own failure on CPUs
    prepare_backend()


import_tensorflow_quietly = import_frameworks_quietly  # the name callers used before backends
