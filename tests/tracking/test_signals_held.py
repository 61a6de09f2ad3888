"""SweepTracker.abort holds Ctrl-C and SIGTERM while it closes runs, and always gives them back:
a process left with them blocked ignores the next Ctrl-C, and so does every child it starts."""

from __future__ import annotations

import signal

import pytest

from lstm_automl.tracking.runs import signals_held

HELD = {signal.SIGINT, signal.SIGTERM}


def blocked() -> set[signal.Signals]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def test_signals_are_held_inside_and_given_back_after():
    assert not blocked() & HELD
    with signals_held():
        assert blocked() >= HELD
    assert not blocked() & HELD


def test_signals_are_given_back_when_the_block_raises():
    with pytest.raises(ValueError), signals_held():
        raise ValueError("a store call failed")
    assert not blocked() & HELD


def test_a_mask_held_before_stays_as_it_was():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        with signals_held():
            pass
        assert signal.SIGTERM in blocked() and signal.SIGINT not in blocked()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
