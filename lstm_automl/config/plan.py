"""The sweep's plan: what the search needs from the config, resolved once and frozen.

``session/prepare.py`` builds it once per process (``sweep_plan``) and keeps it on ``Prepared``;
the session's later steps, the tuner options and the budgets read its plain values instead of
recomputing them from the raw ``SweepConfig`` (the parsed specs, the most epochs a trial trains,
the objective's direction, what early stopping watches). Light: no TensorFlow, no MLflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from lstm_automl.config.names import direction as natural_direction
from lstm_automl.config.start_with import hp_values

if TYPE_CHECKING:
    from lstm_automl.config.schema import FinalModelConfig, SweepConfig

__all__ = ["BudgetPlan", "PruningPlan", "SweepPlan", "final_model_fits", "sweep_plan"]


@dataclass(frozen=True)
class PruningPlan:
    """``tuner.pruning`` as plain values (tuning/pruning.py makes the rule)."""

    rule: str = "none"
    min_epochs: int = 2
    min_trials: int = 3
    reduction_factor: int = 3

    @property
    def enabled(self) -> bool:
        return self.rule != "none"


@dataclass(frozen=True)
class BudgetPlan:
    """What limits the sweep in time and quality (tuning/budgets.py); None when unset."""

    max_time_seconds: float | None = None  # tuner.max_time
    max_trial_seconds: float | None = None  # training.max_trial_time
    target: float | None = None  # tuner.target
    final_model_fits: int = 0  # trainings the final model adds after the search


@dataclass(frozen=True)
class SweepPlan:
    """Everything the search reads from the sweep file, resolved once (see the module)."""

    name: str
    seed: int
    specs: Mapping[str, Any]  # search parameter -> its parsed spec or plain value (read-only)
    objective: str
    direction: str  # "min" or "max": tuner.direction, else the objective's nature
    monitor: str  # what early stopping watches
    monitor_direction: str
    max_epochs: int  # the most epochs any trial trains
    trial_settings: Mapping[str, Any]  # searched training settings (and a fixed seed)
    shuffle: Any  # training.shuffle where not searched (the default where it is)
    early_stopping_patience: int | None
    min_delta: float
    jit_compile: bool | str
    mixed_precision: bool
    recycle_every: int
    algorithm: str
    max_trials: int
    executions_per_trial: int
    max_consecutive_failures: int
    hyperband_factor: int
    hyperband_iterations: int
    grid_order: str
    pruning: PruningPlan
    budget: BudgetPlan
    start_with: tuple[Mapping[str, Any], ...]  # keras-tuner values of tuner.start_with

    @property
    def minimise(self) -> bool:
        return self.direction == "min"

    def tuner_arguments(self) -> dict[str, Any]:
        """The keywords only some algorithms take: hyperband's epochs and brackets, the trial
        count of the others, a grid's order."""
        if self.algorithm == "hyperband":
            return {"max_epochs": self.max_epochs, "factor": self.hyperband_factor,
                    "hyperband_iterations": self.hyperband_iterations}
        arguments: dict[str, Any] = {"max_trials": self.max_trials}
        if self.algorithm == "grid":
            arguments["grid_order"] = self.grid_order
        return arguments


def sweep_plan(config: SweepConfig) -> SweepPlan:
    """Resolve ``config`` into its plan (called once, by ``session/prepare.py``)."""
    tuner, training = config.tuner, config.training
    direction = natural_direction(tuner.objective, tuner.direction)
    monitor = str(training.early_stopping_monitor or tuner.objective)
    return SweepPlan(
        name=config.name, seed=config.seed,
        specs=MappingProxyType(config.search.specs()),
        objective=tuner.objective, direction=direction, monitor=monitor,
        monitor_direction=direction if monitor == tuner.objective else natural_direction(monitor),
        max_epochs=training.max_epochs(),
        trial_settings=MappingProxyType(training.trial_settings()),
        shuffle=training.plain("shuffle"),
        early_stopping_patience=training.early_stopping_patience,
        min_delta=training.min_delta, jit_compile=training.jit_compile,
        mixed_precision=training.mixed_precision, recycle_every=training.recycle_every,
        algorithm=tuner.algorithm, max_trials=tuner.max_trials,
        executions_per_trial=tuner.executions_per_trial,
        max_consecutive_failures=tuner.max_consecutive_failures,
        hyperband_factor=tuner.hyperband_factor,
        hyperband_iterations=tuner.hyperband_iterations, grid_order=tuner.grid_order,
        pruning=PruningPlan(tuner.pruning.rule, tuner.pruning.min_epochs,
                            tuner.pruning.min_trials, tuner.pruning.reduction_factor),
        budget=BudgetPlan(tuner.max_time_seconds, training.max_trial_seconds, tuner.target,
                          final_model_fits(config.final_model)),
        start_with=tuple(MappingProxyType(hp_values(config, entry))
                         for entry in tuner.start_with),
    )


def final_model_fits(final: FinalModelConfig) -> int:
    """Trainings the final model adds after the search: each of the ``top_k`` trials once per
    seed, less the search's own training when the trial's model is kept (no refit)."""
    return int(final.top_k * (final.seeds if final.refit else final.seeds - 1))
