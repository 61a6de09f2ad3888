"""Loss and metrics of ``task: label`` (one class per step), over the real steps only.

Padded steps carry the label ``PAD_LABEL`` (-1): the loss is Keras' sparse cross-entropy with
that class ignored (its mean is over the real steps), and the metrics below count only steps
whose label is a class, so padding never changes a number. They read the labels, not a Keras
mask, and so give the same values on every backend. Registered with Keras so that a saved model
with them loads again.
"""

from __future__ import annotations

from typing import Any

import keras

from lstm_automl.data.base import PAD_LABEL
from lstm_automl.model.macro_f1 import ClassesMacroF1


def step_loss() -> keras.losses.Loss:
    """Cross-entropy of the per-step softmax, averaged over the real steps."""
    return keras.losses.SparseCategoricalCrossentropy(ignore_class=PAD_LABEL)


def _flat_steps(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    """(labels with padding as class 0, probabilities, 1.0 on real steps), one row per step."""
    ops = keras.ops
    classes = y_pred.shape[-1]
    labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
    real = ops.cast(ops.greater_equal(labels, 0), "float32")
    return ops.maximum(labels, 0), ops.reshape(ops.cast(y_pred, "float32"), (-1, classes)), real


@keras.saving.register_keras_serializable(package="lstm_automl")
class StepAccuracy(keras.metrics.Metric):
    """The share of real steps whose most probable class is their label."""

    def __init__(self, name: str = "accuracy", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        ops = keras.ops
        labels, probs, real = _flat_steps(y_true, y_pred)
        hit = ops.cast(ops.equal(ops.cast(ops.argmax(probs, axis=-1), "int32"), labels),
                       "float32")
        self.correct.assign_add(ops.sum(hit * real))
        self.count.assign_add(ops.sum(real))

    def result(self) -> Any:
        return keras.ops.divide_no_nan(self.correct, self.count)

    def reset_state(self) -> None:
        self.correct.assign(0.0)
        self.count.assign(0.0)


@keras.saving.register_keras_serializable(package="lstm_automl")
class StepMacroF1(ClassesMacroF1):
    """Macro-averaged F1 over the real steps; the predicted class is the most probable one."""

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        labels, probs, real = _flat_steps(y_true, y_pred)
        super().update_state(keras.ops.one_hot(labels, self.classes), probs, real)
