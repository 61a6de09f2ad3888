"""The old home of the pyfunc loader, kept so models registered before ``serving/`` existed still
load: their MLmodel names ``loader_module: lstm_automl.tracking.pyfunc``."""

from lstm_automl.serving.pyfunc import *  # noqa: F403
from lstm_automl.serving.pyfunc import _load_pyfunc  # noqa: F401
