"""A network the YAML cannot describe, for ``model: {python: custom_model.py:build}``.

A residual GRU stack (each block adds its output to its input, so depth does not bury the
signal) with a small self-attention head over the last block's steps. It declares its own
hyperparameters on ``hp``; lstm-sweep searches them with the training settings of ``search``.
"""

from __future__ import annotations

from typing import Any

import keras


def build(hp: Any, shape: Any) -> keras.Model:
    """``hp``: keras_tuner.HyperParameters; ``shape``: lstm_automl.data.base.ModelShape.

    Returned uncompiled: lstm-sweep compiles it with the task's loss and metrics and the searched
    optimizer and learning rate.
    """
    width = hp.Int("width", 8, 32, step=8)
    blocks = hp.Int("blocks", 1, 3)
    heads = hp.Choice("heads", [1, 2])
    inputs = keras.Input(shape=(shape.steps, shape.n_features), name="window")
    x = keras.layers.Dense(width, name="project")(inputs)  # to the residual stream's width
    for index in range(blocks):
        step = keras.layers.GRU(width, return_sequences=True, name=f"gru_{index}")(x)
        x = keras.layers.LayerNormalization(name=f"norm_{index}")(
            keras.layers.Add(name=f"residual_{index}")([x, step]))
    attended = keras.layers.MultiHeadAttention(heads, key_dim=width // heads, name="attention")(
        x[:, -1:, :], x)  # the last step asks which earlier steps matter
    x = keras.layers.Flatten(name="summary")(attended)
    outputs = keras.layers.Dense(shape.n_outputs, dtype="float32", name="output")(x)
    return keras.Model(inputs, outputs, name="residual_gru_attention")
