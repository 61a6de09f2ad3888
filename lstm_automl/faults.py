"""A hook for the fault tests only: ``LSTM_SWEEP_FAULT_AT=<phase>`` kills this process (SIGKILL,
like ``kill -9``: nothing gets to clean up) when it reaches that phase, so that
tests/resume/test_faults.py can stop a sweep at an exact point and check what resuming does.

Phases: ``trial:<trial id>`` (the trial's MLflow run is open, training starts), ``final`` (the
final model is built, the baselines are next), ``registration`` (the model version exists, its
tags, alias and description do not yet), ``registered`` (the version is complete, the sweep run
does not say so yet). Unset (always, outside those tests), it does nothing.
"""

from __future__ import annotations

import os
import signal
import sys

FAULT_ENV = "LSTM_SWEEP_FAULT_AT"


def fault_point(phase: str) -> None:
    """SIGKILL this process when ``LSTM_SWEEP_FAULT_AT`` names ``phase``."""
    if os.environ.get(FAULT_ENV) == phase:
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)
