"""Run the network on checked windows, and leave it usable when a call fails.

Keras' ``predict`` on JAX detaches every weight from the model while it runs (the jitted
function takes them as arguments) and attaches them again only when it ends normally. A call
that raises, on a window of a shape the network cannot take for example, used to leave a served
model without weights: every later request failed until the server restarted. Here every call is
checked against the model's input shape first, and the weights are put back if it fails anyway.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_automl.tracking.request_checks import checked_windows, model_input_shape


def predict_windows(model: Any, windows: Any) -> np.ndarray:
    """``model.predict`` on ``windows`` once they pass ``checked_windows``; the model keeps its
    weights whatever happens. Not thread-safe: callers serialise calls (``SweepModel``)."""
    x = checked_windows(windows, model_input_shape(model))
    kept = [(variable, variable.value) for variable in model.variables]
    try:
        return np.asarray(model.predict(x, verbose=0))
    except BaseException:
        for variable, value in kept:
            variable.assign(value)
        raise
