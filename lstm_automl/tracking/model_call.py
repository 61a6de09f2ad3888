"""Run the network on checked windows, quickly, and leave it usable when a call fails.

Keras' ``predict`` on JAX detaches every weight from the model while it runs (the jitted
function takes them as arguments) and attaches them again only when it ends normally. A call
that raises, on a window of a shape the network cannot take for example, used to leave a served
model without weights: every later request failed until the server restarted. Here every call is
checked against the model's input shape first, and the weights are put back if it fails anyway.

``predict_on_batch`` (no data pipeline, no callbacks: about 2 ms instead of 150 on TensorFlow
for one window) runs chunks whose sizes are rounded up to a power of two, so that a server
compiles or traces at most ``log2(CHUNK) + 1`` batch shapes however many sizes it is sent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_automl.tracking.request_checks import checked_windows, model_input_shape

CHUNK = 256  # windows per forward call


def _padded(chunk: np.ndarray) -> np.ndarray:
    """``chunk`` with zero windows after it, up to a power-of-two length."""
    size = 1 << (len(chunk) - 1).bit_length()
    if size == len(chunk):
        return chunk
    return np.concatenate([chunk, np.zeros((size - len(chunk), *chunk.shape[1:]), chunk.dtype)])


def _forward(model: Any, x: np.ndarray) -> np.ndarray:
    outputs = []
    for start in range(0, len(x), CHUNK):
        chunk = x[start:start + CHUNK]
        outputs.append(np.asarray(model.predict_on_batch(_padded(chunk)))[:len(chunk)])
    return np.concatenate(outputs)


def predict_windows(model: Any, windows: Any) -> np.ndarray:
    """The network's output on ``windows`` once they pass ``checked_windows``; the model keeps
    its weights whatever happens. Not thread-safe: callers serialise calls (``SweepModel``)."""
    x = checked_windows(windows, model_input_shape(model))
    kept = [(variable, variable.value) for variable in model.variables]
    try:
        return _forward(model, x)
    except BaseException:
        for variable, value in kept:
            variable.assign(value)
        raise
