"""Whether this process was asked to stop (Ctrl-C or SIGTERM) while a sweep runs.

A SIGINT that lands inside a C extension's call (seen in TensorFlow's) can come out as another
exception, e.g. ``SystemError: bad argument to internal function``; the trial then looked
failed and the sweep ran on, ignoring the Ctrl-C. The handlers set a flag first, so the trial
code can tell an interrupted trial from a failed one.
"""

from __future__ import annotations

from types import FrameType

_requested = False


def reset() -> None:
    """A new sweep in this process starts uninterrupted (tests run several in one process)."""
    global _requested
    _requested = False


def requested() -> bool:
    """Whether a Ctrl-C or SIGTERM arrived since ``reset``."""
    return _requested


def handler(signum: int, frame: FrameType | None) -> None:
    """Remember the request, then stop the way Ctrl-C does."""
    global _requested
    _requested = True
    raise KeyboardInterrupt


def stop_if_interrupted() -> None:
    """Raise KeyboardInterrupt when a request arrived but its exception never surfaced: a
    signal handled while Python ran a finaliser or a C callback has its exception printed and
    dropped, and the sweep would otherwise run on to exit 0. Called at trial boundaries."""
    if _requested:
        raise KeyboardInterrupt
