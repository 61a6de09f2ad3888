"""Time budgets and targets: ``tuner.max_time``, ``training.max_trial_time``, ``tuner.target``.

The sweep's deadline is a wall-clock time, kept as a tag on the sweep run so that workers on other
machines stop their trial at the same moment as the chief stops handing out new ones
(oracle_controls.py). A trial cut by a time limit keeps its best epoch, like early stopping.

``tuner.max_time`` is for the whole sweep, so the search ends early enough to leave what comes
after it: the final model's trainings, the baselines and the registry (``FinishEstimate``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import keras

from lstm_automl.config.durations import format_duration
from lstm_automl.console import fmt_seconds
from lstm_automl.tuning.pruning import TrialStop

if TYPE_CHECKING:
    from lstm_automl.config.plan import SweepPlan


class TimeLimit(keras.callbacks.Callback):
    """Stops training once the wall clock passes ``until`` (checked after every batch)."""

    def __init__(self, until: float, reason: str, stop: TrialStop) -> None:
        super().__init__()
        self.until, self.reason, self.stop = until, reason, stop

    def __deepcopy__(self, memo: dict[int, Any]) -> TimeLimit:
        return TimeLimit(self.until, self.reason, self.stop)

    def _check(self) -> None:
        if time.time() >= self.until and not self.model.stop_training:
            self.model.stop_training = True
            if self.stop.pruned is None:
                self.stop.reason = self.reason

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._check()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._check()


class TargetReached(keras.callbacks.Callback):
    """Stops training at the first epoch whose ``objective`` reaches ``tuner.target``: the sweep
    has what it was asked for, so the epochs after it and every later trial are skipped (the
    oracle then hands out no new trial, ``Budget.stop_reason``)."""

    def __init__(self, objective: str, target: float, minimise: bool, stop: TrialStop) -> None:
        super().__init__()
        self.objective, self.target, self.minimise, self.stop = objective, target, minimise, stop

    def __deepcopy__(self, memo: dict[int, Any]) -> TargetReached:
        return TargetReached(self.objective, self.target, self.minimise, self.stop)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = (logs or {}).get(self.objective)
        if value is None or not math.isfinite(float(value)) or self.model.stop_training:
            return
        if float(value) <= self.target if self.minimise else float(value) >= self.target:
            self.model.stop_training = True
            if self.stop.pruned is None:
                self.stop.reason = (f"stopped at epoch {epoch + 1}: tuner.target {self.target:g} "
                                    f"reached ({self.objective} {float(value):.4g})")


FINISH_FIXED_S = 5.0  # test evaluation, registry, pictures (bench/overhead.py: 3.3 s on airline)
BASELINE_CAP_S = (10.0, 60.0)  # what the baselines may spend: a median trial, within these


@dataclass
class FinishEstimate:
    """Seconds a sweep needs after its search, from the trials it has seen so far: ``fits``
    trainings of the final model (``final_model``: top_k x seeds, one fewer seed per member
    without refit), each about as long as a median completed trial (a refit trains fewer epochs
    but compiles and builds as a trial does; measured on airline, 10 refits took 62-102 s against
    trials of 6-11 s), plus the baselines' cap and a fixed part. It also keeps the shortest
    trial that trained: no trial is started with less time left than that (``Budget``)."""

    fits: int = 0
    trials: list[float] = field(default_factory=list)  # completed trials' seconds
    shortest: float | None = None  # the shortest trial that trained (completed or pruned)

    def note(self, record: Any) -> None:
        if record.status in ("COMPLETED", "PRUNED") and record.seconds > 0:
            seconds = float(record.seconds)
            self.shortest = seconds if self.shortest is None else min(self.shortest, seconds)
            if record.status == "COMPLETED":
                self.trials.append(seconds)

    def seconds(self) -> float | None:
        """The estimate; None before any trial completed (nothing to go on)."""
        if not self.trials:
            return None
        median = _median(self.trials)
        baselines = max(BASELINE_CAP_S[0], min(BASELINE_CAP_S[1], median))
        return FINISH_FIXED_S + baselines + self.fits * median


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


@dataclass
class Budget:
    """What limits one sweep in time and quality (each None when unset)."""

    deadline: float | None = None  # unix seconds: tuner.max_time from the sweep's start
    max_time: float | None = None  # seconds, for messages
    trial_time: float | None = None  # seconds: training.max_trial_time
    target: float | None = None  # tuner.target
    minimise: bool = True
    finish: FinishEstimate = field(default_factory=FinishEstimate)

    def search_deadline(self) -> float | None:
        """When the search must end so that the sweep ends by ``deadline``."""
        if self.deadline is None:
            return None
        return self.deadline - (self.finish.seconds() or 0.0)

    def _used_up(self, left: float = 0.0) -> str:
        kept = self.finish.seconds()
        notes = []
        if left > 0:
            notes.append(f"the {fmt_seconds(left)} left is less than the shortest trial so far")
        if kept:
            notes.append(f"about {fmt_seconds(kept)} kept for the final model and evaluation")
        tail = f" ({'; '.join(notes)})" if notes else ""
        return f"tuner.max_time ({format_duration(self.max_time or 0)}) is used up{tail}"

    def trial_stoppers(self, stop: TrialStop, objective: str) -> list[keras.callbacks.Callback]:
        """The callbacks that end one trial's training at its own time limit, the sweep's, or
        at the epoch that reaches the target."""
        limits: list[keras.callbacks.Callback] = []
        if self.trial_time is not None:
            limits.append(TimeLimit(time.time() + self.trial_time,
                                    f"stopped at training.max_trial_time "
                                    f"({format_duration(self.trial_time)})", stop))
        until = self.search_deadline()
        if until is not None:
            limits.append(TimeLimit(until, f"stopped at tuner.max_time "
                                    f"({format_duration(self.max_time or 0)})", stop))
        if self.target is not None:
            limits.append(TargetReached(objective, self.target, self.minimise, stop))
        return limits

    def stop_reason(self, scores: list[float]) -> str | None:
        """Why no new trial may start (None: go on), given the scores of the ended trials."""
        until = self.search_deadline()
        if until is not None:
            left = until - time.time()
            if left <= 0:
                return self._used_up()
            # a trial that starts now would end after the deadline: its build, compile and first
            # batch run before any time limit can stop it (seen: 15 m + 0:23 on sunspots)
            if self.finish.shortest is not None and left < self.finish.shortest:
                return self._used_up(left)
        if self.target is not None:
            reached = [s for s in scores if math.isfinite(s) and (
                s <= self.target if self.minimise else s >= self.target)]
            if reached:
                best = min(reached) if self.minimise else max(reached)
                return f"tuner.target {self.target:g} reached ({best:.4g})"
        return None


def make_budget(plan: SweepPlan, started: float, deadline: float | None = None) -> Budget:
    """The sweep's budget; ``deadline`` given (a worker: the chief's), else from ``started``."""
    limits = plan.budget
    seconds = limits.max_time_seconds
    if deadline is None and seconds is not None:
        deadline = started + seconds
    return Budget(deadline, seconds, limits.max_trial_seconds, limits.target, plan.minimise,
                  FinishEstimate(limits.final_model_fits))


@dataclass
class Progress:
    """Time used and left, and an estimate of the time the remaining trials take, for the
    console's end-of-trial lines."""

    budget: Budget
    started: float  # unix seconds the sweep started
    remaining: Callable[[], int | None] = lambda: None  # trials still to run (None: unknown)
    seconds: list[float] = field(default_factory=list)  # durations of the trials ended here

    def note(self, record: Any) -> None:
        if record.seconds > 0:
            self.seconds.append(float(record.seconds))
        self.budget.finish.note(record)

    def text(self) -> str:
        """``; 1:18:00 of 2h left; about 0:35 to go`` ('' when there is nothing to say)."""
        parts = []
        left = None
        if self.budget.deadline is not None:
            left = max(0.0, self.budget.deadline - time.time())
            parts.append(f"{fmt_seconds(left)} of {format_duration(self.budget.max_time or 0)} "
                         f"left")
        count = self.remaining()
        if count is not None and self.seconds:
            estimate = count * sum(self.seconds) / len(self.seconds)
            if left is not None:
                estimate = min(estimate, left)
            parts.append(f"about {fmt_seconds(estimate)} to go" if count else "last trial")
        return "".join(f"; {p}" for p in parts)

    def wrap(self, on_event: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
        """``on_event`` that notes each ended trial first."""
        def handler(event: str, record: Any) -> None:
            if event == "end":
                self.note(record)
            on_event(event, record)

        return handler
