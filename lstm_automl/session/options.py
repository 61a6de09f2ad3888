"""From the sweep's config to what the tuner needs for pruning, budgets and ``start_with``.

The session calls ``tuner_options`` when it makes the tuner, ``warm_start`` once it is made,
and ``say_why_stopped`` after the search; everything else about those features lives in
pruning.py, budgets.py, oracle_controls.py and warm_start.py.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from lstm_automl.console import Reporter
from lstm_automl.session.prepare import Prepared
from lstm_automl.tracking.store import tracking_call
from lstm_automl.tracking.tags import DEADLINE_TAG
from lstm_automl.tuning import warm_start as seeding
from lstm_automl.tuning._keras_tuner_private import is_worker
from lstm_automl.tuning.budgets import Budget, Progress, make_budget
from lstm_automl.tuning.pruning import make_rule

if TYPE_CHECKING:
    from keras_tuner import Tuner


def tuner_options(prep: Prepared, reporter: Reporter) -> dict[str, Any]:
    """``make_tuner`` keywords: pruning rule, budget, start_with values, and an event handler
    that feeds the console's time estimate (``reporter.progress``)."""
    plan = prep.plan
    budget = sweep_budget(prep)
    progress = Progress(budget, started(prep))
    reporter.progress = progress.text
    return {
        "pruning": make_rule(plan.pruning, plan.minimise, plan.max_epochs),
        "budget": budget,
        "start_with": [dict(values) for values in plan.start_with],
        "on_event": progress.wrap(reporter.on_trial),
        "progress": progress,
    }


def warm_start(tuner: Tuner, prep: Prepared, reporter: Reporter) -> None:
    """Seed the oracle with the earlier sweep's trials that fit (once: a resumed sweep finds
    them in its oracle), say what was taken and dropped, and let ``max_trials`` count only the
    trials this sweep trains."""
    earlier = getattr(prep, "warm_start", None)
    if earlier is None or is_worker(tuner):
        return
    oracle = tuner.oracle
    if seeding.seeded_count(oracle) == 0 and _own_trials(oracle):
        reporter.line(f"  note: tuner.warm_start '{earlier.name}' not used: this sweep trained "
                      f"trials before it was set")
    elif seeding.seeded_count(oracle) == 0:
        done = seeding.seed(oracle, earlier)
        for line in done.lines():
            reporter.line(f"  {line}")
        with tracking_call(prep.tracker.uri, "logging the warm start"):
            prep.tracker.log_text(done.text(), "warm_start.txt")
    count = seeding.seeded_count(oracle)
    if count and getattr(oracle, "max_trials", None):
        oracle.max_trials = int(oracle.max_trials) + count


def _own_trials(oracle: Any) -> bool:
    """A sweep that already trained trials is not seeded later (its numbering would jump)."""
    return bool(oracle.trials)


def follow_progress(tuner: Tuner, progress: Progress, prep: Prepared | None = None) -> None:
    """Let the estimate count the trials the oracle still has to hand out (a worker's oracle is
    remote: no estimate there, only the time left), and learn from the trials that ended before
    this process (a resumed or recycled sweep): without them the time ``tuner.max_time`` keeps
    for the final model was zero until a trial completed here (seen: a 10-minute airline sweep
    ended 88 s late, its last recycled process having pruned every trial it ran)."""
    if is_worker(tuner):
        return
    if prep is not None and getattr(prep, "resumed", False) and tuner.oracle.trials:
        from lstm_automl.tuning.tuners import sweep_records  # defers keras_tuner

        with tracking_call(prep.tracker.uri, "reading the earlier trials"):
            for record in sweep_records(tuner.oracle, prep.tracker.trial_runs(), []):
                progress.note(record)
    if getattr(tuner.oracle, "max_trials", None) is None:
        return
    oracle = tuner.oracle
    progress.remaining = lambda: max(0, int(oracle.max_trials) - len(oracle.trials))
    # (a warm start raised max_trials by the trials it seeded: they are in oracle.trials too)


def started(prep: Prepared) -> float:
    """When the sweep started: the first process's start for a recycled one, else now."""
    segment = getattr(prep, "segment", None)
    return float(segment.started) if segment is not None and prep.opening is not None \
        else time.time()


def sweep_budget(prep: Prepared) -> Budget:
    """The budget, with the deadline of ``tuner.max_time`` shared through the sweep run's tag:
    the process that opened the sweep sets it, workers read it."""
    plan = prep.plan
    if plan.budget.max_time_seconds is None:
        return make_budget(plan, time.time())
    tracker = prep.tracker
    if prep.opening is None:  # a worker: the chief's deadline
        with tracking_call(tracker.uri, "reading the sweep's deadline"):
            tag = tracker.client.get_run(tracker.parent_run_id).data.tags.get(DEADLINE_TAG)
        return make_budget(plan, time.time(), float(tag) if tag else None)
    budget = make_budget(plan, started(prep))
    tracker.set_sweep_tags({DEADLINE_TAG: f"{budget.deadline:.0f}"})
    return budget


def say_why_stopped(tuner: Tuner, reporter: Reporter) -> None:
    """One console line when the budget or the target ended the search early."""
    reason = getattr(tuner.oracle, "stop_reason", None)
    if reason:
        reporter.line(f"  sweep stopped early: {reason}; evaluating the best trial")
