"""Sampled hyperparameter values → a compiled Keras 3 model, for every cell family.

``build_model`` takes a plain dict, so a model can be rebuilt and tested without a tuner;
``SweepHyperModel`` is the thin keras-tuner adapter around it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import keras_tuner as kt

from lstm_automl.cells import make_recurrent_layer
from lstm_automl.space import declare_space


@dataclass(frozen=True)
class ModelShape:
    """What the data dictates: input window and output size, and the task's head."""

    lookback: int
    n_features: int
    n_outputs: int
    task: str = "forecast"


def _forecast_head(x: Any, shape: ModelShape) -> Any:
    # float32 output keeps the loss stable if mixed precision is switched on later.
    return keras.layers.Dense(shape.n_outputs, dtype="float32", name="forecast")(x)


# The head is pluggable per task: classification adds a softmax/sigmoid head here.
HEADS: dict[str, Callable[[Any, ModelShape], Any]] = {"forecast": _forecast_head}

TASK_METRICS: dict[str, Callable[[], list[keras.metrics.Metric]]] = {
    "forecast": lambda: [
        keras.metrics.MeanAbsoluteError(name="mae"),
        keras.metrics.RootMeanSquaredError(name="rmse"),
    ],
}


def make_optimizer(name: str, learning_rate: float, clipnorm: float | None) -> keras.Optimizer:
    """The optimizer named in the sweep file (names from ``families.OPTIMIZERS``)."""
    clip = {"clipnorm": clipnorm} if clipnorm else {}
    factories: dict[str, Callable[[], keras.Optimizer]] = {
        "adam": lambda: keras.optimizers.Adam(learning_rate, **clip),
        "adamw": lambda: keras.optimizers.AdamW(learning_rate, weight_decay=1e-4, **clip),
        "nadam": lambda: keras.optimizers.Nadam(learning_rate, **clip),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate, **clip),
        "sgd": lambda: keras.optimizers.SGD(learning_rate, momentum=0.9, **clip),
    }
    return factories[name]()


LOSSES: dict[str, Callable[[], Any]] = {
    "mse": lambda: keras.losses.MeanSquaredError(),
    "mae": lambda: keras.losses.MeanAbsoluteError(),
    "huber": lambda: keras.losses.Huber(delta=1.0),
}


def build_model(values: dict[str, Any], shape: ModelShape, seed: int | None = None) -> keras.Model:
    """Build and compile one candidate from plain values (see ``space.declare_space``)."""
    inputs = keras.Input(shape=(shape.lookback, shape.n_features), name="window")
    x = inputs
    if values["conv_front"]:
        x = keras.layers.Conv1D(
            int(values["conv_filters"]), int(values["conv_kernel_size"]), padding="causal",
            activation="relu", name="conv_front",
        )(x)
    layers = int(values["layers"])
    for index in range(layers):
        recurrent = make_recurrent_layer(
            values["cell"],
            int(values["units"][index]),
            return_sequences=index < layers - 1,
            dropout=float(values["dropout"][index]),
            recurrent_dropout=float(values["recurrent_dropout"][index]),
            seed=None if seed is None else seed + index,
            name=f"{values['cell']}_{index}",
        )
        if values["bidirectional"]:
            recurrent = keras.layers.Bidirectional(recurrent, name=f"bidirectional_{index}")
        x = recurrent(x)
    for index in range(int(values["dense_layers"])):
        x = keras.layers.Dense(
            int(values["dense_units"][index]), activation=values["dense_activation"],
            name=f"dense_{index}",
        )(x)
    outputs = HEADS[shape.task](x, shape)
    model = keras.Model(inputs, outputs, name=_model_name(values))
    model.compile(
        optimizer=make_optimizer(values["optimizer"], float(values["learning_rate"]),
                                 values["clipnorm"]),
        loss=LOSSES[values["loss"]](),
        metrics=TASK_METRICS[shape.task](),
    )
    return model


def _model_name(values: dict[str, Any]) -> str:
    bi = "_bi" if values["bidirectional"] else ""
    return f"{values['cell']}_x{values['layers']}{bi}"


class SweepHyperModel(kt.HyperModel):
    """keras-tuner adapter: declares the space on ``hp`` and builds with ``build_model``."""

    def __init__(self, specs: dict[str, Any], shape: ModelShape, seed: int) -> None:
        super().__init__(name="lstm_sweep", tunable=True)
        self.specs = specs
        self.shape = shape
        self.seed = seed

    def build(self, hp: kt.HyperParameters) -> keras.Model:
        values = declare_space(hp, self.specs)
        try:
            return build_model(values, self.shape, seed=self.seed)
        except (ValueError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise kt.errors.FailedTrialError(f"model cannot be built: {first}") from exc

    def fit(self, hp: kt.HyperParameters, model: keras.Model, *args: Any, **kwargs: Any) -> Any:
        kwargs["batch_size"] = int(hp.get("batch_size"))
        return model.fit(*args, **kwargs)
