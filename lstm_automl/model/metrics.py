"""The extra metrics an objective may name (``names.EXTRA_METRICS``), as Keras metrics.

Classification models output probabilities of integer (sparse) labels: one sigmoid unit for two
classes, a softmax otherwise, per position for the copy task. Keras' F1Score and multi-label
AUC want one-hot labels and one column per class, so the two classes below turn what the model
gives into that before Keras computes: macro-F1 over both classes of a binary problem (not
the positive class alone), and AUC as the mean of one-vs-rest curves for several classes.
They are registered with Keras so that a saved model with them loads again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from lstm_automl.data.base import ModelShape
from lstm_automl.model.macro_f1 import ClassesMacroF1
from lstm_automl.model.step_metrics import StepMacroF1


def _as_columns(y_true: Any, y_pred: Any, classes: int) -> tuple[Any, Any]:
    """Sparse labels and probabilities → one-hot labels and one probability column per class,
    one row per prediction (positions flattened)."""
    ops = keras.ops
    if classes == 2 and y_pred.shape[-1] == 1:  # one sigmoid unit: p of class 1
        p = ops.reshape(y_pred, (-1, 1))
        y_pred = ops.concatenate([1.0 - p, p], axis=-1)
    y_pred = ops.reshape(y_pred, (-1, classes))
    labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
    return ops.one_hot(labels, classes), y_pred


@keras.saving.register_keras_serializable(package="lstm_automl")
class SparseMacroF1(ClassesMacroF1):
    """Macro-averaged F1 of sparse labels; the predicted class is the most probable one."""

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = _as_columns(y_true, y_pred, self.classes)
        super().update_state(y_true, y_pred, None)  # class weights would skew the average


@keras.saving.register_keras_serializable(package="lstm_automl")
class SparseAUC(keras.metrics.AUC):
    """AUC of sparse labels over several classes: the mean of the one-vs-rest curves."""

    def __init__(self, classes: int = 3, name: str = "auc", **kwargs: Any) -> None:
        kwargs.pop("multi_label", None)
        kwargs.pop("num_labels", None)
        super().__init__(name=name, multi_label=True, num_labels=classes, **kwargs)
        self.classes = classes

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = _as_columns(y_true, y_pred, self.classes)
        super().update_state(y_true, y_pred, None)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "classes": self.classes}


def _classes(shape: ModelShape) -> int:
    return 2 if shape.n_outputs == 1 else shape.n_outputs


def _auc(curve: str, name: str) -> Callable[[ModelShape], keras.metrics.Metric]:
    def make(shape: ModelShape) -> keras.metrics.Metric:
        if shape.n_outputs == 1 and not shape.positions:  # sigmoid: Keras' own binary AUC
            return keras.metrics.AUC(curve=curve, name=name)
        return SparseAUC(_classes(shape), curve=curve, name=name)
    return make


# Keyed by exactly the names of ``config.names.EXTRA_METRICS``.
EXTRA_METRIC_FACTORIES: dict[str, Callable[[ModelShape], keras.metrics.Metric]] = {
    "auc": _auc("ROC", "auc"),
    "pr_auc": _auc("PR", "pr_auc"),
    "macro_f1": lambda shape: (StepMacroF1(shape.n_outputs) if shape.task == "label"
                               else SparseMacroF1(_classes(shape))),
    "mse": lambda shape: keras.metrics.MeanSquaredError(name="mse"),
    "r2": lambda shape: keras.metrics.R2Score(name="r2"),
    "logcosh": lambda shape: keras.metrics.LogCoshError(name="logcosh"),
}


def extra_metric_objects(names: tuple[str, ...], shape: ModelShape) -> list[keras.metrics.Metric]:
    """The Keras metrics for ``names`` (from ``names.extra_metrics``), for this model's shape."""
    return [EXTRA_METRIC_FACTORIES[name](shape) for name in names]
