"""``lr_schedule``: how a trial's learning rate changes while it trains.

``cosine`` is part of the optimizer (a Keras ``CosineDecay`` over the trial's optimizer steps,
which the caller counts from the training split, the batch size and the epochs), so every fit
of the compiled model follows it. ``plateau`` watches a validation metric, so it is a callback
(``ReduceLROnPlateau``) that ``SweepHyperModel.fit`` adds to each trial's fit, on the trial's
objective.
"""

from __future__ import annotations

import math
from typing import Any

import keras

from lstm_automl.config.params import SEARCH_PARAMS

# The names of ``params.LR_SCHEDULES``; a test checks the two agree.
SCHEDULES = ("none", "cosine", "plateau")


def schedule_of(values: dict[str, Any]) -> str:
    """A trial's ``lr_schedule`` (``none`` for trials recorded before the key existed)."""
    return str(values.get("lr_schedule") or "none")


def train_steps(samples: int | None, batch_size: int, epochs: int | None) -> int | None:
    """Optimizer steps of a fit of ``epochs`` over ``samples`` windows (the last batch of an
    epoch may be short); None when either is unknown."""
    if not samples or not epochs:
        return None
    return int(epochs) * math.ceil(int(samples) / max(1, int(batch_size)))


def learning_rate(values: dict[str, Any], steps: int | None) -> Any:
    """The optimizer's ``learning_rate``: the number, or a cosine decay over ``steps``."""
    rate = float(values["learning_rate"])
    if schedule_of(values) != "cosine":
        return rate
    if not steps:
        raise ValueError("lr_schedule cosine needs the trial's number of training steps")
    return keras.optimizers.schedules.CosineDecay(rate, decay_steps=int(steps), alpha=0.0)


def plateau_callback(values: dict[str, Any], monitor: str,
                     mode: str) -> keras.callbacks.Callback | None:
    """The ``ReduceLROnPlateau`` of a trial with ``lr_schedule: plateau``, on ``monitor`` (the
    trial's objective) in ``mode`` (``min``/``max``); None for the other schedules."""
    if schedule_of(values) != "plateau":
        return None
    factor = values.get("plateau_factor") or SEARCH_PARAMS["plateau_factor"].default
    patience = values.get("plateau_patience") or SEARCH_PARAMS["plateau_patience"].default
    return keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, factor=float(factor),
                                             patience=int(patience), verbose=0)
