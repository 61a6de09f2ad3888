"""The one constructor of the macro-F1 metrics (whole-sequence and per-step classes).

Keras' F1Score wants one-hot labels; the subclasses turn sparse labels into those in
``update_state``. What they share is fixed here once: macro averaging, no threshold (the
predicted class is the most probable one) and the number of classes kept in the config, so a
saved model rebuilds the same metric.
"""

from __future__ import annotations

from typing import Any

import keras


class ClassesMacroF1(keras.metrics.F1Score):
    """Macro-averaged F1 over ``classes`` classes; ``average`` and ``threshold`` are fixed."""

    def __init__(self, classes: int = 2, name: str = "macro_f1", **kwargs: Any) -> None:
        kwargs.pop("average", None)
        kwargs.pop("threshold", None)
        super().__init__(average="macro", threshold=None, name=name, **kwargs)
        self.classes = classes

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "classes": self.classes}
