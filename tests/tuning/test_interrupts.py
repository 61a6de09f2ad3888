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
