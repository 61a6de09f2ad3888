"""A Ctrl-C whose exception was dropped (raised inside a finaliser or a C callback) still stops
the sweep at the next trial boundary, and never leaks into the next sweep in the process."""

from __future__ import annotations

import gc
import signal

import pytest

from lstm_automl import interrupts
from lstm_automl.api._running import terminate_as_interrupt


class _RaisesInFinaliser:
    def __del__(self) -> None:
        interrupts.handler(signal.SIGINT, None)  # Python prints and drops this KeyboardInterrupt


def test_a_dropped_interrupt_is_raised_at_the_next_boundary():
    with terminate_as_interrupt():
        _RaisesInFinaliser()  # collected at once: the handler ran, its exception was dropped
        gc.collect()
        assert interrupts.requested()
        with pytest.raises(KeyboardInterrupt):
            interrupts.stop_if_interrupted()


def test_the_request_ends_with_its_sweep():
    with pytest.raises(KeyboardInterrupt):
        with terminate_as_interrupt():
            interrupts.handler(signal.SIGINT, None)
    assert not interrupts.requested()
    interrupts.stop_if_interrupted()  # the next sweep in this process starts uninterrupted


@pytest.mark.backend_contract
def test_while_keras_trains_a_first_request_stops_at_the_next_batch_and_a_second_at_once():
    import keras
    import numpy as np

    class CtrlCAtBatch(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.batches = 0

        def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
            self.batches += 1
            if self.batches == 2:
                interrupts.handler(signal.SIGINT, None)  # recorded, not raised, mid-training

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    ctrl_c = CtrlCAtBatch()
    with terminate_as_interrupt(), interrupts.deferred():
        with pytest.raises(KeyboardInterrupt):
            model.fit(np.zeros((16, 3)), np.zeros(16), batch_size=2, epochs=3, verbose=0,
                      callbacks=[ctrl_c, interrupts.stop_on_request()])
        assert ctrl_c.batches == 2  # stopped at the end of the batch it arrived in
        with pytest.raises(KeyboardInterrupt):
            interrupts.handler(signal.SIGINT, None)  # the second request raises at once
