"""Three bidirectional LSTM branches over channel groups, for credsweeper_branches.yaml.

Rewritten from the search space in Samsung/CredSweeper (experiment/hyperparameters.py, the
model in experiment/src/lstm_model.py): each branch has its own output dropout and recurrent
dropout, the joined branches go through two dense layers with their own dropout. The original's
branches read three different text inputs (line, variable, value); here they read three groups
of the sequence's channels.
"""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="real_spaces")
class Channels(keras.layers.Layer):
    """Channels start..stop of every step. A registered layer, not a Lambda: Keras refuses to
    load a Python lambda in safe mode, so the registered model would not load again."""

    def __init__(self, start: int, stop: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start, self.stop = start, stop
        self.supports_masking = True  # padded steps stay masked in every branch

    def call(self, inputs: Any) -> Any:
        return inputs[:, :, self.start:self.stop]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "start": self.start, "stop": self.stop}


def _branch(hp: Any, x: Any, name: str, units: int) -> Any:
    """One BiLSTM branch with its searched dropouts (keras-tuner's Float with a 0.01 step)."""
    lstm = keras.layers.LSTM(
        units, recurrent_dropout=hp.Float(f"{name}_recurrent_dropout", 0.0, 0.3, step=0.01),
        name=f"{name}_lstm")
    out = keras.layers.Bidirectional(lstm, name=f"{name}_bi")(x)
    return keras.layers.Dropout(hp.Float(f"{name}_dropout", 0.4, 0.5, step=0.01),
                                name=f"{name}_drop")(out)


def build(hp: Any, shape: Any) -> keras.Model:
    """hp: keras_tuner.HyperParameters; shape: lstm_automl.data.base.ModelShape."""
    inputs = keras.Input(shape=(shape.steps, shape.n_features), name="sequence")
    x = keras.layers.Masking(0.0)(inputs) if shape.masked else inputs  # padding is 0.0
    third = max(1, shape.n_features // 3)
    groups = [(0, third), (third, 2 * third), (2 * third, shape.n_features)]
    branches = []
    for name, (start, stop) in zip(("line", "variable", "value"), groups, strict=True):
        part = Channels(start, stop, name=f"{name}_in")(x)
        branches.append(_branch(hp, part, name, units=16))
    x = keras.layers.Concatenate(name="joined")(branches)
    width = x.shape[-1]
    for name in ("dense_a", "dense_b"):
        x = keras.layers.Dense(width, activation="relu", name=name)(x)
        x = keras.layers.Dropout(hp.Float(f"{name}_dropout", 0.0, 0.3, step=0.01),
                                 name=f"{name}_drop")(x)
    activation = "sigmoid" if shape.n_outputs == 1 else "softmax"
    outputs = keras.layers.Dense(shape.n_outputs, activation=activation, dtype="float32",
                                 name="output")(x)
    return keras.Model(inputs, outputs, name="credsweeper_branches")
