"""lstm-sweep: find the best recurrent network for a sequence problem from one YAML file.

From Python (``lstm_automl.api``; the command line is built on it)::

    import lstm_automl
    result = lstm_automl.run("sweep.yaml", overrides={"tuner.max_trials": 2})
    result.leaderboard, result.verdict.sentence(), result.model_uri, result.ui_url
    result.predict(history)

The package root stays light so that ``import lstm_automl``, ``lstm-sweep --help`` and
``validate`` never import TensorFlow, JAX or MLflow; every name below loads on first use.
"""

from __future__ import annotations

from typing import Any

from lstm_automl.version import __version__

_API = ("run", "validate", "SweepResult", "ValidatedSweep", "ConfigError", "DataError",
        "LstmSweepError", "SweepChangedError", "SweepError", "SweepInterrupted", "TrackingError")

__all__ = [*_API, "PeepholeLSTMCell", "load_sweep", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:  # the API package is light too; each of its names loads what it needs
        import importlib

        return getattr(importlib.import_module("lstm_automl.api"), name)
    if name == "PeepholeLSTMCell":
        from lstm_automl.model.cells.peephole import PeepholeLSTMCell  # defers keras

        return PeepholeLSTMCell
    if name == "load_sweep":
        from lstm_automl.sweep_file.loader import load_sweep  # defers pydantic

        return load_sweep
    raise AttributeError(f"module 'lstm_automl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
