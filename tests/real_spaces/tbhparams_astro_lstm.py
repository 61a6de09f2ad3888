"""Per-step LSTM classifier averaged over time, for tbhparams_astro_lstm.yaml.

Rewritten from the search space in JerryLiuMY/transformer_astro (config/model_config.py, the
model in model/lstm.py): stacked LSTMs returning every step, each followed by layer
normalisation and an L2 penalty on its recurrent kernel; dense layers applied to every step,
twice as wide as the LSTMs; a per-step softmax averaged over the steps.
"""

from __future__ import annotations

from typing import Any

import keras


def build(hp: Any, shape: Any) -> keras.Model:
    """hp: keras_tuner.HyperParameters; shape: lstm_automl.data.base.ModelShape."""
    rnn_layers = hp.Choice("rnn_nums", [1, 2])
    width = hp.Choice("rnn_dims", [25, 50, 100, 200])
    dense_layers = hp.Choice("dnn_nums", [1, 2])
    inputs = keras.Input(shape=(shape.steps, shape.n_features), name="sequence")
    x = keras.layers.Masking(0.0)(inputs) if shape.masked else inputs
    for index in range(rnn_layers):
        x = keras.layers.LSTM(width, return_sequences=True, name=f"lstm_{index}",
                              recurrent_regularizer=keras.regularizers.L2(0.1))(x)
        x = keras.layers.LayerNormalization(name=f"lstm_norm_{index}")(x)
    for index in range(dense_layers):  # Dense on a sequence acts on every step
        x = keras.layers.Dense(2 * width, kernel_regularizer=keras.regularizers.L2(0.1),
                               name=f"dense_{index}")(x)
        x = keras.layers.LayerNormalization(name=f"dense_norm_{index}")(x)
        x = keras.layers.ReLU(name=f"dense_relu_{index}")(x)
    activation = "sigmoid" if shape.n_outputs == 1 else "softmax"
    x = keras.layers.Dense(shape.n_outputs, activation=activation, name="per_step")(x)
    outputs = keras.layers.GlobalAveragePooling1D(dtype="float32", name="output")(x)
    return keras.Model(inputs, outputs, name="astro_lstm")
