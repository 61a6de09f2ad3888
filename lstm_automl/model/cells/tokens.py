"""The front of a text model: token ids (as the float window the pipeline feeds) → integers,
those past a trial's ``vocab_size`` folded into the out-of-vocabulary id.

The data keeps every training token, most frequent first (``data/tokens.py``), so one prepared
dataset serves every ``vocab_size`` a sweep searches: each model keeps its own first ids.
"""

from __future__ import annotations

from typing import Any

import keras

OOV_ID = 1  # data/tokens.py: 0 pads, 1 is out of vocabulary, 2.. the training tokens


@keras.saving.register_keras_serializable(package="lstm_automl")
class TokenIds(keras.layers.Layer):
    """``(batch, steps, 1)`` float ids → ``(batch, steps)`` int32 ids below ``limit``.

    float32 whatever the mixed-precision policy: float16 holds whole numbers exactly only up to
    2048, and a vocabulary has more ids than that."""

    def __init__(self, limit: int, **kwargs: Any) -> None:
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.limit = int(limit)

    def call(self, inputs: Any) -> Any:
        ops = keras.ops
        ids = ops.cast(ops.round(ops.squeeze(inputs, axis=-1)), "int32")
        return ops.where(ops.greater_equal(ids, self.limit), OOV_ID, ids)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(input_shape[:-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "limit": self.limit}
