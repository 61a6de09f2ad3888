"""Pruning: stop a clearly losing trial early, so the sweep's epochs go to the promising ones.

Two rules (``tuner.pruning``), both pure functions of learning curves so they are tested without
training anything:

* ``median``: after ``min_epochs``, a trial whose best objective so far is worse than the median
  of the finished trials' best-so-far at the same epoch stops (a finished trial that ended
  earlier counts with its final best). Nothing is compared before ``min_trials`` trials
  finished.
* ``asha`` (asynchronous successive halving): at the rungs ``min_epochs * reduction_factor^k``
  a trial goes on only if it is among the best ``1/reduction_factor`` of the trials that reached
  that rung (running and pruned ones included: that is what makes it asynchronous).

The curves come from the keras-tuner oracle, never from process memory: every epoch's objective
is reported to it (``CURVE_METRIC``), so a resumed sweep and workers on other machines (whose
oracle is the chief's, over gRPC) see the same history. A pruned trial ends as COMPLETED for the
oracle, scored with the best value it reached, so Bayesian search and Hyperband still learn from
it; ``PRUNED_METRIC`` marks it pruned for everything that shows trials.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras

CURVE_METRIC = "lstm_sweep.curve"  # the objective per epoch (step = epoch index, from 0)
PRUNED_METRIC = "lstm_sweep.pruned_at"  # the epoch (from 1) a pruned trial stopped after
OWN_METRICS = (CURVE_METRIC, PRUNED_METRIC)


@dataclass(frozen=True)
class Peer:
    """Another trial's curve as the oracle has it: the objective per epoch (index 0 is epoch 1,
    NaN where an epoch reported nothing) and whether it ended normally (completed, unpruned)."""

    curve: tuple[float, ...]
    finished: bool


@dataclass(frozen=True)
class Pruned:
    """Why a trial stopped: at ``epoch`` its best ``value`` lost against ``reference``."""

    rule: str
    epoch: int
    value: float
    reference: float
    minimise: bool
    fraction: int = 2  # asha: the best 1/fraction went on

    def sentence(self, objective: str) -> str:
        """``pruned at epoch 3: val_loss 0.41 > median 0.22``."""
        sign = ">" if self.minimise else "<"
        if self.rule == "median":
            versus = f"median {self.reference:.4g}"
        else:
            versus = f"cutoff {self.reference:.4g} (best 1/{self.fraction} at this rung)"
        return f"pruned at epoch {self.epoch}: {objective} {self.value:.4g} {sign} {versus}"


def best_so_far(curve: Sequence[float], epoch: int, minimise: bool) -> float | None:
    """The best finite value among the first ``epoch`` epochs of ``curve``, or None."""
    values = [v for v in curve[:epoch] if math.isfinite(v)]
    if not values:
        return None
    return min(values) if minimise else max(values)


def _worse(value: float, other: float, minimise: bool) -> bool:
    return value > other if minimise else value < other


class MedianRule:
    """Prune when the best so far is worse than the finished trials' median at that epoch."""

    name = "median"

    def __init__(self, minimise: bool, min_epochs: int = 2, min_trials: int = 3) -> None:
        self.minimise, self.min_epochs, self.min_trials = minimise, min_epochs, min_trials

    def decide(self, epoch: int, curve: Sequence[float], peers: Sequence[Peer]) -> Pruned | None:
        """``epoch`` counts from 1; ``curve`` holds this trial's values up to it."""
        if epoch < self.min_epochs:
            return None
        mine = best_so_far(curve, epoch, self.minimise)
        references = [best_so_far(p.curve, epoch, self.minimise) for p in peers if p.finished]
        known = [r for r in references if r is not None]
        if mine is None or len(known) < self.min_trials:
            return None
        median = float(statistics.median(known))
        if not _worse(mine, median, self.minimise):
            return None
        return Pruned(self.name, epoch, mine, median, self.minimise)


class AshaRule:
    """Asynchronous successive halving: at each rung keep the best 1/reduction_factor."""

    name = "asha"

    def __init__(self, minimise: bool, max_epochs: int, min_epochs: int = 2,
                 min_trials: int = 3, reduction_factor: int = 3) -> None:
        self.minimise, self.min_trials, self.factor = minimise, min_trials, reduction_factor
        self.rungs = rungs(min_epochs, reduction_factor, max_epochs)

    def decide(self, epoch: int, curve: Sequence[float], peers: Sequence[Peer]) -> Pruned | None:
        if epoch not in self.rungs:
            return None
        mine = best_so_far(curve, epoch, self.minimise)
        reached = [best_so_far(p.curve, epoch, self.minimise) for p in peers
                   if len(p.curve) >= epoch and math.isfinite(p.curve[epoch - 1])]
        others = [v for v in reached if v is not None]
        if mine is None or len(others) < self.min_trials:
            return None
        ranked = sorted([*others, mine], reverse=not self.minimise)
        keep = math.ceil(len(ranked) / self.factor)
        cutoff = ranked[keep - 1]
        if not _worse(mine, cutoff, self.minimise):
            return None
        return Pruned(self.name, epoch, mine, cutoff, self.minimise, self.factor)


def rungs(min_epochs: int, factor: int, max_epochs: int) -> list[int]:
    """Epochs where ASHA compares trials: ``min_epochs * factor^k`` below ``max_epochs``."""
    found, rung = [], min_epochs
    while rung < max_epochs:
        found.append(rung)
        rung *= factor
    return found


Rule = MedianRule | AshaRule


def make_rule(pruning: Any, minimise: bool, max_epochs: int) -> Rule | None:
    """The rule ``tuner.pruning`` names (the plan's ``PruningPlan``, or a ``PruningConfig``),
    or None when it is off."""
    if pruning.rule == "median":
        return MedianRule(minimise, pruning.min_epochs, pruning.min_trials)
    if pruning.rule == "asha":
        return AshaRule(minimise, max_epochs, pruning.min_epochs, pruning.min_trials,
                        pruning.reduction_factor)
    return None


# --- the oracle's side: curves in, peers out -------------------------------------------------
def curve_of(trial: Any) -> tuple[float, ...]:
    """A keras-tuner trial's reported curve, one value per epoch (mean over executions)."""
    metrics = trial.metrics
    if not metrics.exists(CURVE_METRIC):
        return ()
    history = metrics.get_history(CURVE_METRIC)
    if not history:
        return ()
    curve = [math.nan] * (int(max(obs.step for obs in history)) + 1)
    for obs in history:
        curve[int(obs.step)] = float(obs.mean())
    return tuple(curve)


def was_pruned(trial: Any) -> int | None:
    """The epoch a keras-tuner trial was pruned at, or None when it was not pruned."""
    metrics = trial.metrics
    if not metrics.exists(PRUNED_METRIC):
        return None
    value = metrics.get_last_value(PRUNED_METRIC)
    return int(value) if value is not None else None


def peers_of(trials: Sequence[Any], exclude: str) -> list[Peer]:
    """Every other trial that reported a curve, as the rules see it."""
    peers = []
    for trial in trials:
        if trial.trial_id == exclude:
            continue
        curve = curve_of(trial)
        if curve:
            finished = str(trial.status) == "COMPLETED" and was_pruned(trial) is None
            peers.append(Peer(curve, finished))
    return peers


class OraclePeers:
    """The other trials' curves, read from the oracle at most every ``every`` seconds.

    A worker's oracle is the chief's, over gRPC, where only ``get_best_trials`` lists every
    trial (best first, then the rest); a local oracle is read directly.
    """

    def __init__(self, oracle: Any, remote: bool, every: float = 1.0) -> None:
        self.oracle, self.remote, self.every = oracle, remote, every
        self.read_at = -math.inf
        self.trials: list[Any] = []

    def __call__(self, exclude: str) -> list[Peer]:
        if time.monotonic() - self.read_at >= self.every:
            self.trials = (list(self.oracle.get_best_trials(1_000_000)) if self.remote
                           else list(self.oracle.trials.values()))
            self.read_at = time.monotonic()
        return peers_of(self.trials, exclude)


# --- the trial's side: a Keras callback --------------------------------------------------------
@dataclass
class TrialStop:
    """Why the running trial stopped early (shared by the copies keras-tuner makes of the
    callbacks, one per execution)."""

    pruned: Pruned | None = None
    reason: str | None = None  # a time limit, said for the console and the run's tags


class PruneTrial(keras.callbacks.Callback):
    """Reports each epoch's objective to the oracle and stops training once the rule says so."""

    def __init__(self, rule: Rule, objective: str, trial_id: str,
                 report: Callable[[dict[str, float], int], None],
                 peers: Callable[[str], list[Peer]], stop: TrialStop) -> None:
        super().__init__()
        self.rule, self.objective, self.trial_id = rule, objective, trial_id
        self.report, self.peers, self.stop = report, peers, stop
        self.curve: list[float] = []

    def __deepcopy__(self, memo: dict[int, Any]) -> PruneTrial:
        return PruneTrial(self.rule, self.objective, self.trial_id, self.report, self.peers,
                          self.stop)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = (logs or {}).get(self.objective)
        if value is None:
            return
        value = float(value)
        self.curve.extend([math.nan] * (epoch - len(self.curve)))
        self.curve[epoch:] = [value]
        if math.isfinite(value):
            self.report({CURVE_METRIC: value}, epoch)
        if epoch + 1 >= int(self.params.get("epochs") or 0):
            return  # its last epoch: stopping now saves nothing, it simply completes
        verdict = self.rule.decide(epoch + 1, self.curve, self.peers(self.trial_id))
        if verdict is not None:
            self.stop.pruned = verdict
            self.model.stop_training = True
