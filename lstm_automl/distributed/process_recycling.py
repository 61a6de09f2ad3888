"""Long sweeps in a series of fresh processes, so memory cannot grow without bound.

With ``training.recycle_every: N`` (and a budget above N trials), ``lstm-sweep run`` becomes a
light supervisor (no TensorFlow) that runs the sweep in a child process. The child ends its
search cleanly between two trials once it has run N of them and exits with ``RECYCLE_EXIT``;
the supervisor starts the next child, which resumes the same sweep folder and MLflow sweep run
(resume/) without retraining anything. Children share the terminal and print as one sweep:
only the first prints the header, the last the leaderboard, and the clock runs from the
supervisor's start. Ctrl-C reaches the child from the terminal; SIGTERM sent to the supervisor
is passed on. The child's exit code is the command's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from types import FrameType

from lstm_automl.distributed.orphan_guard import guarded_command
from lstm_automl.model.backend import child_env
from lstm_automl.resume.segment import (
    RECYCLE_EXIT,
    SEGMENT_ENV,
    STARTED_ENV,
    Segment,
    current_segment,
)

__all__ = ["RECYCLE_EXIT", "Segment", "current_segment", "needs_supervisor", "supervise"]


def needs_supervisor(every: int, budget: int | None) -> bool:
    """Recycle only when the sweep can run more trials than one process should."""
    return every > 0 and (budget is None or budget > every)


def supervise(argv: Sequence[str], resume_argv: Sequence[str]) -> int:
    """Run ``python -m lstm_automl ARGV``, then ``RESUME_ARGV`` again while a child asks to be
    recycled; returns the last child's exit code (128 + signal if it was killed)."""
    started = time.time()
    segment = 1
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, frame: FrameType | None) -> None:
        # Ctrl-C in a terminal reaches the child too (same process group): not twice.
        if signum == signal.SIGINT and _terminal_foreground():
            return
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            env = {**os.environ, **child_env(), SEGMENT_ENV: str(segment),
                   STARTED_ENV: repr(started)}
            args = argv if segment == 1 else resume_argv
            child = subprocess.Popen(guarded_command("lstm_automl", *args), env=env)
            code = child.wait()
            if code != RECYCLE_EXIT:
                return code if code >= 0 else 128 - code
            segment += 1
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _terminal_foreground() -> bool:
    """Whether this process group is the foreground of a terminal (whose Ctrl-C hits all)."""
    for fd in (0, 1, 2):
        try:
            return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False
