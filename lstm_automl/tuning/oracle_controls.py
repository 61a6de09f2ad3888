"""What the sweep adds to the keras-tuner oracle it holds: pruning curves, stop conditions,
configurations to try first, its own trials apart from those a warm start seeded; through
``populate_space`` (public) and the private hooks that _keras_tuner_private.py fences
(``_random_values``, ``_duplicate``, ``_check_objective_found``).

Only the process that holds the oracle installs these (a plain run, the chief); workers reach
them through the chief over gRPC, so every worker obeys the same deadline, target and queue.
Nothing here is saved with the oracle: it is installed again on every start, and a resumed sweep
skips the ``start_with`` configurations it already tried (the oracle remembers tried values).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lstm_automl.errors import ConfigError
from lstm_automl.tuning._keras_tuner_private import (
    hold_queued_retries,
    is_duplicate,
    wrap_objective_check,
    wrap_random_values,
)
from lstm_automl.tuning.budgets import Budget
from lstm_automl.tuning.pruning import OWN_METRICS
from lstm_automl.tuning.warm_start import SEEDED_METRIC, is_seeded

RUNNING, STOPPED = "RUNNING", "STOPPED"


def install(oracle: Any, algorithm: str, budget: Budget | None,
            start_with: list[dict[str, Any]], source: str = "tuner.start_with") -> None:
    """Everything at once, in the order that matters: the queue first, the stops around it."""
    allow_own_metrics(oracle)
    best_of_own_trials(oracle)
    if start_with:
        queue_first(oracle, algorithm, StartQueue(oracle, start_with, source))
    if budget is not None:
        stop_when(oracle, budget)


def allow_own_metrics(oracle: Any) -> None:
    """Let ``update_trial`` take the sweep's own per-epoch metrics without the objective
    (keras-tuner insists every report names it)."""
    wrap_objective_check(oracle, lambda metrics: bool(metrics) and all(
        name in (*OWN_METRICS, SEEDED_METRIC) for name in metrics))


def best_of_own_trials(oracle: Any) -> None:
    """``get_best_trials`` without the trials a warm start seeded (tuning/warm_start.py): they
    were trained by another sweep, which has their runs and checkpoints, so they can be neither
    this sweep's best trial nor a member of its final model. The search itself (Bayesian
    search's model, the tried values) still sees every trial through ``oracle.trials``."""
    original = oracle.get_best_trials

    def get_best_trials(num_trials: int = 1) -> list[Any]:
        own = [t for t in original(len(oracle.trials) or 1) if not is_seeded(t)]
        return own[:num_trials]

    oracle.get_best_trials = get_best_trials


def stop_when(oracle: Any, budget: Budget) -> None:
    """No new trial, and no retry of an interrupted one, once the deadline passed or the target
    was reached; the reason is kept on the oracle (``stop_reason``) for the console."""
    populate: Callable[[str], dict[str, Any]] = oracle.populate_space
    create: Callable[..., Any] = oracle.create_trial
    oracle.stop_reason = None

    def reason() -> str | None:
        scores = [float(t.score) for t in list(oracle.trials.values())
                  if str(t.status) == "COMPLETED" and t.score is not None
                  and not is_seeded(t)]  # the target is for this sweep's own trials
        return budget.stop_reason(scores)

    def populate_space(trial_id: str) -> dict[str, Any]:
        why = reason()
        if why is not None:
            oracle.stop_reason = why
            return {"status": STOPPED, "values": None}
        return populate(trial_id)

    def create_trial(*args: Any, **kwargs: Any) -> Any:
        # keras-tuner hands out queued retries before it asks populate_space
        if reason() is not None:
            hold_queued_retries(oracle)
        return create(*args, **kwargs)

    oracle.populate_space = populate_space
    oracle.create_trial = create_trial


class StartQueue:
    """``tuner.start_with`` entries (keras-tuner names, see ``config.start_with.hp_values``),
    completed with each absent hyperparameter's default, handed out once each."""

    def __init__(self, oracle: Any, entries: list[dict[str, Any]], source: str) -> None:
        self.oracle, self.source = oracle, source
        self.pending = list(enumerate(entries))

    def next(self) -> dict[str, Any] | None:
        """The next entry not tried yet (a resumed sweep tried some already), or None."""
        while self.pending:
            index, given = self.pending.pop(0)
            values = self.complete(index, given)
            if not is_duplicate(self.oracle, values):
                return values
        return None

    def complete(self, index: int, given: dict[str, Any]) -> dict[str, Any]:
        """Active values of the whole space: ``given`` where it says, defaults elsewhere."""
        import keras_tuner as kt

        space = self.oracle.hyperparameters.space
        unknown = sorted(set(given) - {hp.name for hp in space})
        if unknown:
            declared = ", ".join(hp.name for hp in space)
            raise ConfigError(self.source, [
                f"{self.source}[{index}].{unknown[0]}: not a hyperparameter of this sweep "
                f"(it declares: {declared})"])
        hps = kt.HyperParameters()
        for hp in space:
            hps.merge([hp])
            if hps.is_active(hp):
                hps.values[hp.name] = given.get(hp.name, hp.default)
        return dict(hps.values)


def queue_first(oracle: Any, algorithm: str, queue: StartQueue) -> None:
    """Random and Bayesian search take the queue's entries as their first trials; Hyperband
    takes them as the first new candidates of its brackets (its own promotions untouched)."""
    if algorithm == "hyperband":
        wrap_random_values(oracle, queue.next)
        return
    populate = oracle.populate_space

    def populate_space(trial_id: str) -> dict[str, Any]:
        values = queue.next()
        if values is not None:
            return {"status": RUNNING, "values": values}
        return populate(trial_id)

    oracle.populate_space = populate_space
