"""One trial as the console, the reports and the sweep run see it: no MLflow, no Keras."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["SCORED", "TrialRecord", "failure_reason", "failures_text", "last_failure"]

SCORED = ("COMPLETED", "PRUNED")  # trial statuses that have a score (a pruned one: its best)


@dataclass
class TrialRecord:
    """What the console and the parent run need to know about one finished trial."""

    number: int
    trial_id: str
    run_id: str
    name: str
    values: dict[str, Any]
    status: str = "RUNNING"
    score: float | None = None
    epochs: int = 0
    seconds: float = 0.0
    message: str | None = None
    attempt: int = 1  # > 1: an earlier run of this trial was interrupted and it was retried
    stopped: str | None = None  # why it ended early: pruned, or a time limit (tuning/pruning.py)


def failure_reason(message: str | None) -> str:
    """The one line that says why a trial failed, without the exception's module path."""
    lines = [line.strip() for line in (message or "").strip().splitlines() if line.strip()]
    if not lines:
        return "no reason given"
    return re.sub(r"^[\w.]*(Error|Exception|Exit|Interrupt)\w*: ", "", lines[-1])


def last_failure(records: list[TrialRecord]) -> str:
    """Why the most recent failed trial failed, in one line ("unknown" if none says)."""
    for record in reversed(records):
        if record.message:
            return failure_reason(record.message)
    return "unknown"


def failures_text(records: list[TrialRecord]) -> str:
    """``first failure: ...`` (and ``; last failure: ...`` when another reason came later): what
    a sweep whose trials all failed says, so the first error is never hidden by a later one."""
    reasons = [failure_reason(r.message) for r in records if r.message]
    if not reasons:
        return "last failure: unknown"
    if reasons[-1] == reasons[0]:
        return f"first failure: {reasons[0]}"
    return f"first failure: {reasons[0]}; last failure: {reasons[-1]}"
