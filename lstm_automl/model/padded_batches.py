"""One compiled program per trial on JAX: the last, shorter batch is filled up with zero-weight
rows (``data/array_batches.py``), so the train and test steps see one input shape.

What padding keeps and what it does not, on JAX (TensorFlow and PyTorch never pad):

- Metrics are exact: on JAX the sweep's models compile their metrics as Keras'
  ``weighted_metrics`` (``compiled_metrics``; the same names and, without sample weights, the
  same values), which average with the sample weights (their count is the sum of the weights),
  so fill rows count nowhere. Metrics given unweighted, or that ignore weights (``macro_f1``,
  ``auc`` over several classes), turn padding off.
- The epoch's ``loss`` and ``val_loss`` are exact after ``PaddedLogs``: Keras averages each
  batch's loss weighted by the batch's row count, fill rows included, and each batch's loss is
  the weighted sum over its rows divided by that count; so the epoch mean is the sum over the
  data's rows divided by the padded row count, which ``PaddedLogs`` turns into the mean over the
  data's rows. A loss with regularisation terms would not come out exact, so they turn padding off.
- Training changes in one respect: the last batch's gradient is its rows' summed loss divided by
  the full batch size instead of by its own row count (``n / batch_size`` of the unpadded step).
  Dropout in that step draws its masks for the padded shape. Every row is still seen once per
  epoch; the full batches train exactly as before.
- Batch normalisation would see the fill rows in its batch statistics: it turns padding off.
"""

from __future__ import annotations

from typing import Any

import keras

from lstm_automl.model.metrics import SparseAUC, SparseMacroF1

_WEIGHT_BLIND = (SparseAUC, SparseMacroF1)
# The logs Keras computes from its loss tracker (batch-size weighted); metrics are exact.
_TRACKED = ("loss", "val_loss")


def compiled_metrics(metrics: list[Any], task: str = "forecast") -> dict[str, list[Any]]:
    """``model.compile``'s keyword for the sweep's metrics: weighted on JAX, where the last
    batch may be padded; as before elsewhere, and for classes, whose ``class_weight`` Keras
    passes as sample weights (weighted metrics would then count each class by its weight)."""
    weighted = keras.backend.backend() == "jax" and task not in ("classify", "label")
    return {"weighted_metrics" if weighted else "metrics": metrics}


def pads_exactly(model: Any) -> bool:
    """Whether padding the last batch keeps this model's loss and metrics exact (see above);
    only on JAX, where a new input shape means a new compiled program."""
    if keras.backend.backend() != "jax":
        return False
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is None:  # a Keras without it: do not guess
        return False
    if any(isinstance(layer, keras.layers.BatchNormalization)
           for layer in flatten(include_self=False)):
        return False
    if model.losses:  # regularisation terms: the tracker's mean would be off
        return False
    compiled = getattr(model, "_compile_metrics", False)
    if compiled is False:  # a Keras without it: do not guess
        return False
    if compiled is None:
        return True
    if keras.tree.flatten(getattr(compiled, "_user_metrics", None) or []):
        return False  # unweighted metrics would count the fill rows
    weighted = keras.tree.flatten(getattr(compiled, "_user_weighted_metrics", None) or [])
    return not any(isinstance(m, _WEIGHT_BLIND) for m in weighted)


class PaddedLogs(keras.callbacks.Callback):
    """Turns the epoch's tracked losses into means over the data's rows (see the docstring).

    It must come first in the callback list, like ``BacktestLogs``: the others, ``History``
    and keras-tuner's checkpoint among them, read the logs dict it corrects.
    """

    def __init__(self, train: Any, validation: Any = None) -> None:
        super().__init__()
        self.factors = {"loss": _factor(train), "val_loss": _factor(validation)}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            return
        for name in _TRACKED:
            if name in logs and self.factors[name] != 1.0:
                logs[name] = float(logs[name]) * self.factors[name]


def _factor(batches: Any) -> float:
    """Padded rows over the data's rows of one epoch (1.0 for anything not padded)."""
    padded = getattr(batches, "padded_rows", None)
    rows = len(getattr(batches, "x", ()))
    return padded / rows if padded and rows else 1.0
