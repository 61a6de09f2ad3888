"""Recurrent cell families: the registry the model builder picks from.

``CELLS`` maps each family name of ``lstm_automl.config.names.CELL_FAMILIES`` to a factory that
returns one recurrent Keras layer. LSTM and GRU use Keras' own layers so that the fused cuDNN
kernel is used on GPU (see ``lstm_automl.model.kernel_tags`` for when); the peephole family uses the
``PeepholeLSTM`` layer, which runs the same recurrence as ``keras.layers.RNN(PeepholeLSTMCell)``
with the weights stacked once per batch instead of read at every step (no cuDNN kernel exists
for it). Its weights live under a different Keras path, so a ``.weights.h5`` checkpoint written
by the cell-based layer (lstm-sweep before issue 6) does not load into it.

Importing this package also registers ``cells.tokens.TokenIds`` (text inputs) and the window
layers of ``cells.window`` (``window_norm``, ``residual``, ``multi_step``), so every loader that
imports it for the cells can load those models too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from lstm_automl.model.cells.peephole import PeepholeLSTM, PeepholeLSTMCell
from lstm_automl.model.cells.tokens import TokenIds
from lstm_automl.model.cells.window import (
    ArBaseline,
    ArimaBaseline,
    EtsBaseline,
    EtsNorm,
    ShiftIn,
    WindowBaseline,
    WindowNorm,
)

LayerFactory = Callable[..., keras.layers.Layer]


def _float32_on_jax_cudnn() -> bool:
    """Whether an LSTM must stay float32 under mixed precision: JAX's cuDNN LSTM
    (``jax.experimental.rnn``, which Keras calls on a GPU) takes float32 only and fails on
    float16 ("Unknown output type float16"), found by the GPU check on an H200."""
    compute = keras.mixed_precision.global_policy().compute_dtype
    return keras.backend.backend() == "jax" and compute not in ("float32", "float64")


def _lstm(units: int, **kwargs: object) -> keras.layers.Layer:
    if _float32_on_jax_cudnn() and kwargs.get("dtype") is None:
        # The same on every device, so a model computes alike on the CPU and the GPU.
        kwargs["dtype"] = "float32"
    return keras.layers.LSTM(units, **kwargs)


def _gru(units: int, **kwargs: object) -> keras.layers.Layer:
    return keras.layers.GRU(units, **kwargs)


def _simple_rnn(units: int, **kwargs: object) -> keras.layers.Layer:
    return keras.layers.SimpleRNN(units, **kwargs)


def _peephole(units: int, **kwargs: Any) -> keras.layers.Layer:
    return PeepholeLSTM(units, **kwargs)


CELLS: dict[str, LayerFactory] = {
    "lstm": _lstm,
    "gru": _gru,
    "peephole": _peephole,
    "simple_rnn": _simple_rnn,
}


def make_recurrent_layer(
    family: str,
    units: int,
    *,
    return_sequences: bool,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    seed: int | None = None,
    name: str | None = None,
    **options: Any,
) -> keras.layers.Layer:
    """One recurrent layer of ``family``; raises KeyError listing the valid names.

    ``options``: further arguments every family's layer takes (``kernel_initializer``,
    ``kernel_regularizer``)."""
    try:
        factory = CELLS[family]
    except KeyError:
        raise KeyError(f"unknown cell family {family!r}; valid: {', '.join(CELLS)}") from None
    return factory(
        units,
        return_sequences=return_sequences,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        seed=seed,
        name=name,
        **options,
    )


__all__ = ["ArBaseline", "ArimaBaseline", "CELLS", "EtsBaseline", "EtsNorm", "PeepholeLSTM",
           "PeepholeLSTMCell", "ShiftIn", "TokenIds", "WindowBaseline", "WindowNorm",
           "make_recurrent_layer"]
