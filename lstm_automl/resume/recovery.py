"""Bring MLflow back in line with the tuner state on disk after an interruption.

The oracle (keras-tuner's files) is the truth about trials; MLflow can lag behind it when a
process died between the two writes. Each trial the oracle finished keeps exactly one run with
the matching status; runs left RUNNING for trials that did not finish are closed as KILLED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lstm_automl.results.trial_record import failure_reason
from lstm_automl.tracking.runs import SweepTracker
from lstm_automl.tracking.tags import ORPHAN_TAG, RECOVERED_TAG, TUNER_ID_TAG

TERMINAL = {"COMPLETED": "FINISHED", "FAILED": "FAILED"}


@dataclass
class OracleTrial:
    """What recovery needs to know of one keras-tuner trial."""

    status: str
    score: float | None = None
    message: str | None = None


@dataclass
class Reconciled:
    killed: list[str] = field(default_factory=list)  # run ids closed as KILLED
    recovered: list[str] = field(default_factory=list)  # run ids given the oracle's result


def reconcile(tracker: SweepTracker, trials: dict[str, OracleTrial], objective: str,
              tuner_id: str | None = None) -> Reconciled:
    """Close orphaned trial runs and finish runs whose trial the oracle finished.

    With ``tuner_id``, only that worker's runs are touched (the others may be training).
    """
    done = Reconciled()
    grouped: dict[str, list[Any]] = {}
    for run in tracker.trial_runs():
        if tuner_id is not None and run.data.tags.get(TUNER_ID_TAG) != tuner_id:
            continue
        grouped.setdefault(run.data.tags.get("trial_id", ""), []).append(run)
    for trial_id, runs in grouped.items():
        runs.sort(key=lambda r: r.info.start_time or 0)
        trial = trials.get(trial_id)
        wanted = TERMINAL.get(trial.status) if trial is not None else None
        if wanted is not None and trial is not None and not any(
                r.info.status == wanted for r in runs):
            latest = runs[-1]
            _finish_as_oracle_says(tracker, latest.info.run_id, trial, wanted, objective)
            done.recovered.append(latest.info.run_id)
            runs = runs[:-1]
        for run in runs:
            if run.info.status == "RUNNING":
                tracker.close_run(run.info.run_id, "KILLED", tags={
                    ORPHAN_TAG: "true", "status": "interrupted",
                    "failure": "the process running this trial stopped before it ended; "
                               "the trial is retried"})
                done.killed.append(run.info.run_id)
    return done


def _finish_as_oracle_says(tracker: SweepTracker, run_id: str, trial: OracleTrial, status: str,
                           objective: str) -> None:
    tags = {RECOVERED_TAG: "true", "status": trial.status.lower()}
    metrics = {}
    if trial.score is not None:
        metrics[f"best_{objective}"] = float(trial.score)
    if trial.message:
        tags["failure"] = failure_reason(trial.message)[:500]
    tracker.close_run(run_id, status, tags=tags, metrics=metrics)
