"""This process's place in a recycled sweep (distributed/process_recycling.py starts them).

Which child of the supervisor runs now decides what it prints (only the first prints the
header) and when the sweep's clock started; a child ends with ``RECYCLE_EXIT`` between two
trials once it has run its share.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

__all__ = ["RECYCLE_EXIT", "SEGMENT_ENV", "STARTED_ENV", "Segment", "current_segment"]

RECYCLE_EXIT = 75  # a child ran its share of trials: start the next one
SEGMENT_ENV = "LSTM_SWEEP_SEGMENT"  # 1, 2, ...: which child of the supervisor this is
STARTED_ENV = "LSTM_SWEEP_STARTED"  # the supervisor's start (time.time()), for the clock


@dataclass
class Segment:
    """This process's place in a recycled sweep."""

    number: int
    started: float  # wall-clock start of the whole sweep

    @property
    def continues(self) -> bool:
        """A later child: the header and resume lines were printed by an earlier one."""
        return self.number > 1


def current_segment() -> Segment | None:
    """The segment this process runs, or None when it is not a supervised child."""
    raw = os.environ.get(SEGMENT_ENV)
    if not raw or not raw.isdigit():
        return None
    try:
        started = float(os.environ.get(STARTED_ENV, ""))
    except ValueError:
        started = time.time()
    return Segment(int(raw), started)
