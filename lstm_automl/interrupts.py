"""Whether this process was asked to stop (Ctrl-C or SIGTERM) while a sweep runs.

A SIGINT that lands inside a C extension's call (seen in TensorFlow's) can come out as another
exception, e.g. ``SystemError: bad argument to internal function``; the trial then looked
failed and the sweep ran on, ignoring the Ctrl-C. The handlers set a flag first, so the trial
code can tell an interrupted trial from a failed one.

While Keras trains (``deferred``), the first request is only recorded: a KeyboardInterrupt
raised while TensorFlow's C++ runtime has called back into Python crashed the process (SIGSEGV)
or was dropped. ``StopOnRequest`` raises it at the next batch boundary instead, in plain Python;
a second Ctrl-C still raises at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_requested = False
_deferring = 0


def reset() -> None:
    """A new sweep in this process starts uninterrupted (tests run several in one process)."""
    global _requested
    _requested = False


def requested() -> bool:
    """Whether a Ctrl-C or SIGTERM arrived since ``reset``."""
    return _requested


def handler(signum: int, frame: FrameType | None) -> None:
    """Remember the request, then stop the way Ctrl-C does (at the next batch while Keras
    trains, unless it is the second request)."""
    global _requested
    first = not _requested
    _requested = True
    if _deferring and first:
        return
    raise KeyboardInterrupt


@contextmanager
def deferred() -> Iterator[None]:
    """While Keras trains: a first request is raised by ``StopOnRequest`` between batches."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1


def stop_if_interrupted() -> None:
    """Raise KeyboardInterrupt when a request arrived but its exception never surfaced: a
    signal handled while Python ran a finaliser or a C callback has its exception printed and
    dropped, and the sweep would otherwise run on to exit 0. Called at trial boundaries."""
    if _requested:
        raise KeyboardInterrupt


def stop_on_request() -> object:
    """A Keras callback that raises a recorded request between batches (Keras imported here:
    this module stays light for the CLI)."""
    import keras  # defers keras

    class StopOnRequest(keras.callbacks.Callback):
        """Raises KeyboardInterrupt at the first batch boundary after a Ctrl-C or SIGTERM."""

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            stop_if_interrupted()

        def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
            stop_if_interrupted()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            stop_if_interrupted()

    return StopOnRequest()
