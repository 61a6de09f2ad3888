"""Monte-Carlo dropout (``final_model.mc_dropout``): prediction intervals from dropout kept on.

The registered model runs ``samples`` stochastic passes with ``training=True``, which switches
on every Dropout layer and the recurrent layers' ``dropout`` and ``recurrent_dropout`` masks;
batch normalisation stays in inference mode (its moving statistics, not the batch's). Each pass
goes through the same preprocessing back to original units, and the table returned has the
mean of the passes where the plain model has its prediction, then per column ``_std`` and one
``_qN`` column per quantile (``passengers_h1_std``, ``passengers_h1_q5``, ...). Classification
returns the mean probabilities (the label is their argmax) and ``p_<class>_std``; per-position
labels get the mean probabilities' labels only.

Repeatable: every random state of the model (Keras ``SeedGenerator``s) is reset from the seed
before the passes, so the same input gives the same output in any process on one backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.serving import raw as serving
from lstm_automl.serving.request_checks import checked_windows, model_input_shape

ROWS_PER_CALL = 8192  # windows x samples per forward call: bounds the memory of a large input
SEED_STATE = "seed_generator_state"


def mc_settings(settings: Any, sweep_seed: int) -> dict[str, Any] | None:
    """What the saved spec records from ``final_model.mc_dropout`` (None: off)."""
    if settings is None:
        return None
    seed = sweep_seed if settings.seed is None else settings.seed
    return {"samples": settings.samples, "quantiles": list(settings.quantiles), "seed": seed}


def _reseed(model: Any, seed: int) -> None:
    """Every seed generator of the model back to a state drawn from ``seed``, one per layer."""
    states = [v for v in model.variables if v.path.endswith(SEED_STATE)]
    for index, variable in enumerate(states):
        variable.assign(np.array([seed + 7919 * index, 0], dtype=variable.dtype))


def _batch_norms(model: Any) -> list[Any]:
    import keras

    return [layer for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]


def passes(model: Any, x: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """``samples`` predictions of ``model`` on ``x`` with dropout on: shape (samples, *output).

    Each window is repeated ``samples`` times inside a batch (one mask per row), so a pass costs
    one forward call per chunk, not one per sample."""
    import keras

    x = checked_windows(x, model_input_shape(model))  # the shape the network was built for
    _reseed(model, seed)
    frozen = _batch_norms(model)
    for layer in frozen:  # inference statistics: Keras 3 normalises with the batch's only
        layer.trainable = False  # while training=True and the layer is trainable
    try:
        per_call = max(1, ROWS_PER_CALL // samples)
        outputs = []
        for start in range(0, len(x), per_call):
            chunk = x[start:start + per_call]
            tiled = np.repeat(chunk, samples, axis=0)
            out = keras.ops.convert_to_numpy(model(tiled, training=True))
            out = out.reshape(len(chunk), samples, *out.shape[1:])
            outputs.append(np.swapaxes(out, 0, 1))
        return np.concatenate(outputs, axis=1).astype(np.float64)
    finally:
        for layer in frozen:
            layer.trainable = True


def _spread(frames: list[pd.DataFrame], quantiles: list[float],
            columns: list[str]) -> pd.DataFrame:
    """The mean of ``frames`` (one per pass, same shape) with ``_std`` and ``_qN`` per column."""
    stack = np.stack([f[columns].to_numpy(dtype=np.float64) for f in frames])
    out = frames[0].copy()
    out[columns] = stack.mean(axis=0)
    for i, column in enumerate(columns):
        out[f"{column}_std"] = stack[:, :, i].std(axis=0)
        for q in quantiles:
            out[f"{column}_q{100 * q:g}"] = np.quantile(stack[:, :, i], q, axis=0)
    return out


def predict_mc(spec: dict[str, Any], model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """``predict.predict_raw`` with Monte-Carlo dropout (``spec["mc_dropout"]``)."""
    settings = spec["mc_dropout"]
    samples, seed, quantiles = settings["samples"], settings["seed"], settings["quantiles"]
    if spec["task"] == "forecast":
        window, levels = serving.prepared(serving.forecast_input, spec, frame)
        stochastic = passes(model, window, samples, seed)
        frames = [serving.forecast_output(spec, p, levels) for p in stochastic]
        return _spread(frames, quantiles, list(frames[0].columns))
    x, ids = serving.prepared(serving.sequence_input, spec, frame)
    stochastic = passes(model, x, samples, seed)
    if spec["task"] == "regress":
        frames = [serving.sequence_output(spec, p, ids) for p in stochastic]
        return _spread(frames, quantiles, ["prediction"])
    mean = serving.sequence_output(spec, stochastic.mean(axis=0), ids)
    if spec["positions"]:
        return mean
    frames = [serving.sequence_output(spec, p, ids) for p in stochastic]
    classes = [c for c in mean.columns if c.startswith("p_")]
    for column in classes:
        mean[f"{column}_std"] = np.stack([f[column].to_numpy() for f in frames]).std(axis=0)
    return mean
