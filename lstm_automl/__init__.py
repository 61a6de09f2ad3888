"""lstm-sweep: find the best recurrent network for a sequence problem from one YAML file.

The package root stays light so that ``lstm-sweep --help`` and ``validate`` never import
TensorFlow; the Keras-side names load on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["PeepholeLSTMCell", "load_sweep", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "PeepholeLSTMCell":
        from lstm_automl.model.cells.peephole import PeepholeLSTMCell

        return PeepholeLSTMCell
    if name == "load_sweep":
        from lstm_automl.sweep_file.loader import load_sweep

        return load_sweep
    raise AttributeError(f"module 'lstm_automl' has no attribute {name!r}")
