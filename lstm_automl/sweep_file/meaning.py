"""The meaning checks that have no module of their own: the objective, the tuner against the
space, settings that change nothing, early stopping and budgets.

Each takes the validated ``SweepConfig`` and returns ``Findings``; ``rules.RULES`` orders them
with the checks that live beside their values (``config/*_checks.py``, ``config/ties.py``...).
Light: no TensorFlow, JAX or MLflow (``validate``).
"""

from __future__ import annotations

from typing import Any

from lstm_automl.config import schema as cfg
from lstm_automl.config.names import higher_is_better, objective_problem
from lstm_automl.config.params import SEARCH_PARAMS, condition_parents, rule_holds
from lstm_automl.config.space_summary import data_size, is_searched, space_size, training_size
from lstm_automl.model.kernel_tags import gpu_visible, planned_backend, space_kernel_notes
from lstm_automl.sweep_file.findings import Findings

__all__ = [
    "budget", "classify_loss", "direction", "early_stopping_monitor", "fcn_off", "gpu_kernels",
    "grid_discrete", "grid_order_ignored", "grid_size", "hyperband_epochs", "hyperband_trials",
    "inactive", "nothing_searched", "objective", "patience",
]


def _has_backtest(config: cfg.SweepConfig) -> bool:
    return getattr(config.data, "backtest", None) is not None


def objective(config: cfg.SweepConfig) -> Findings:
    """The objective is a metric this task's models report (backtest_* with data.backtest)."""
    return Findings.of([objective_problem(config.data.task, config.tuner.objective,
                                          _has_backtest(config))])


def direction(config: cfg.SweepConfig) -> Findings:
    """An explicit direction against the metric's natural one is allowed, and noted."""
    objective = config.tuner.objective
    if config.tuner.direction == ("min" if higher_is_better(objective) else "max"):
        return Findings.of(notes=[f"tuner.direction: {config.tuner.direction}imising "
                                  f"'{objective}' is unusual"])
    return Findings()


def sweep_size(config: cfg.SweepConfig) -> int | None:
    """The trials that differ (space x data variants x searched training settings), or None
    when a range is continuous or a ``model.python`` function declares hyperparameters of its
    own."""
    size = space_size(config.search.specs())
    if size is None or config.model is not None:
        return None
    trained = training_size(config)
    return None if trained is None else size * data_size(config) * trained


def grid_discrete(config: cfg.SweepConfig) -> Findings:
    """Grid search needs a finite space: every float range needs a step."""
    if config.tuner.algorithm != "grid":
        return Findings()
    return Findings.of([f"search.{name}{part}.float: grid search needs a discrete space; "
                        f"add a step or use choice" for name, part in
                        _continuous(config.search.specs())])


def grid_size(config: cfg.SweepConfig) -> Findings:
    """A grid smaller than max_trials ends early; a larger one tries only part of itself."""
    size = sweep_size(config) if config.tuner.algorithm == "grid" else None
    if size is None:
        return Findings()
    trials = config.tuner.max_trials
    if size < trials:
        return Findings.of(notes=[f"tuner.max_trials: the grid has only {size} points, fewer "
                                  f"than max_trials ({trials}); the sweep ends when it is "
                                  f"exhausted"])
    if size > trials:  # the tuner stops at max_trials
        return Findings.of(notes=[_grid_order_note(config, config.search.specs(), size)])
    return Findings()


def grid_order_ignored(config: cfg.SweepConfig) -> Findings:
    """``tuner.grid_order`` means something only to the grid tuner."""
    if config.tuner.algorithm != "grid" and config.tuner.grid_order != "sequential":
        return Findings.of(notes=[f"tuner.grid_order: only for algorithm: grid; ignored with "
                                  f"{config.tuner.algorithm}"])
    return Findings()


def hyperband_trials(config: cfg.SweepConfig) -> Findings:
    """Hyperband counts its own trials."""
    if config.tuner.algorithm == "hyperband" and config.tuner.max_trials != 10:
        return Findings.of(notes=["tuner.max_trials: hyperband sets its own number of trials "
                                  "from training.epochs and tuner.hyperband_factor"])
    return Findings()


def nothing_searched(config: cfg.SweepConfig) -> Findings:
    """A space of one point needs one trial."""
    if sweep_size(config) == 1 and config.tuner.max_trials > 1:
        return Findings.of(notes=["search: nothing is searched (every value is fixed); one "
                                  "trial is enough"])
    return Findings()


def inactive(config: cfg.SweepConfig) -> Findings:
    """A searched value whose parent never switches it on (``active_when``) is wasted."""
    specs, notes = config.search.specs(), []
    for name, domain in SEARCH_PARAMS.items():
        if domain.active_when is None or not is_searched(specs[name]):
            continue
        parent, rule = domain.active_when
        parent_values = cfg.spec_values(specs[parent]) or []
        if not any(rule_holds(rule, v) for v in parent_values):
            notes.append(f"search.{name}: has no effect while {parent} is {_never_text(rule)}")
    return Findings.of(notes=notes)


def fcn_off(config: cfg.SweepConfig) -> Findings:
    """A fixed ``fcn_filters`` or ``dimension_shuffle`` other than its default while
    ``fcn_branch`` is never true would change nothing: refused (a searched one is noted by
    ``inactive``)."""
    specs = config.search.specs()
    if any(rule_holds("true", v) for v in cfg.spec_values(specs["fcn_branch"]) or []):
        return Findings()
    problems = []
    for name, domain in SEARCH_PARAMS.items():
        if domain.active_when != ("fcn_branch", "true") or is_searched(specs[name]):
            continue
        value = (cfg.spec_values(specs[name]) or [domain.default])[0]
        if value != domain.default:
            shown = str(value).lower() if isinstance(value, bool) else value
            problems.append(f"search.{name}: {shown} only applies with fcn_branch: true "
                            f"(the FCN branch is off in this sweep)")
    return Findings.of(problems)


def gpu_kernels(config: cfg.SweepConfig) -> Findings:
    """Cells that leave cuDNN on a GPU; on a CPU every family runs the same loop (validate
    prints these anyway)."""
    if not gpu_visible():
        return Findings()
    return Findings.of(notes=space_kernel_notes(config.search.specs(),
                                                planned_backend(config.training.backend)))


def classify_loss(config: cfg.SweepConfig) -> Findings:
    """Classification always trains with cross-entropy."""
    if config.data.task == "classify" and \
            config.search.specs()["loss"] != SEARCH_PARAMS["loss"].default:
        return Findings.of(notes=["search.loss: classification always trains with "
                                  "cross-entropy; ignored"])
    return Findings()


def budget(config: cfg.SweepConfig) -> Findings:
    """Pruning and time settings that cannot do what they say."""
    notes = []
    pruning, epochs = config.tuner.pruning, config.training.max_epochs()
    if pruning.enabled and pruning.min_epochs >= epochs:
        notes.append(f"tuner.pruning.min_epochs: {pruning.min_epochs} >= training.epochs "
                     f"({epochs}), so no trial is ever pruned")
    limit, total = config.training.max_trial_seconds, config.tuner.max_time_seconds
    if limit is not None and total is not None and limit > total:
        notes.append("training.max_trial_time: longer than tuner.max_time; the sweep's budget "
                     "stops a trial first")
    return Findings.of(notes=notes)


def early_stopping_monitor(config: cfg.SweepConfig) -> Findings:
    """The monitor is a metric the model reports (as the objective), and needs a patience."""
    monitor = config.training.early_stopping_monitor
    if monitor is None:
        return Findings()
    why = objective_problem(config.data.task, monitor, _has_backtest(config))
    problem = why and why.replace(f"tuner.objective: '{monitor}'",
                                  f"training.early_stopping_monitor: '{monitor}'")
    note = None
    if config.training.early_stopping_patience is None:
        note = ("training.early_stopping_monitor: early stopping is off "
                "(early_stopping_patience: null)")
    return Findings.of([problem], [note])


def hyperband_epochs(config: cfg.SweepConfig) -> Findings:
    """Hyperband gives each trial its epochs: a searched epochs would fight it."""
    searched = config.training.searched()
    if searched and config.model is None and config.tuner.algorithm == "hyperband" and \
            "epochs" in searched:
        return Findings.of(["training.epochs: hyperband sets each trial's epochs itself; give "
                            "one number (its budget)"])
    return Findings()


def patience(config: cfg.SweepConfig) -> Findings:
    """A patience as long as the training never stops it early."""
    patience = config.training.early_stopping_patience
    if patience is not None and patience >= config.training.max_epochs():
        return Findings.of(notes=["training.early_stopping_patience: >= epochs, so early "
                                  "stopping never fires"])
    return Findings()


def _grid_order_note(config: cfg.SweepConfig, specs: dict[str, Any], size: int) -> str:
    """Which order applies to a grid larger than ``max_trials``, and what it means."""
    trials, order = config.tuner.max_trials, config.tuner.grid_order
    head = f"tuner.grid_order {order}: {trials} of the grid's {size:,} combinations"
    if order == "sequential":
        return (f"{head} are tried, in keras-tuner's order (the last parameter changes "
                f"fastest), so values of the first parameters may never be tried; "
                f"tuner.grid_order: even tries every value of every parameter early, random a "
                f"seeded random subset")
    if order == "random":
        return f"{head}, a seeded random subset without repeats"
    counts = [len(v) for v in config.data.searched_data().values()]
    counts += [len(cfg.spec_values(s) or []) for s in
               [*specs.values(), *config.training.searched().values()]
               if not isinstance(s, cfg.RatioSpec)]
    most = max(counts, default=1)
    parents = [n for n in condition_parents() if is_searched(specs[n])]
    if parents:
        return (f"{head}, every parameter changing from one trial to the next within each "
                f"combination of {', '.join(parents)} (visited in turn)")
    covered = "so every value of every parameter is tried" if trials >= most else (
        f"too few to try every value of a parameter with {most} values")
    return f"{head}, every parameter changing from one trial to the next: {covered}"


def _continuous(specs: dict[str, Any]) -> list[tuple[str, str]]:
    """(param, part) of every float range without a step (part: ``.first``/``.ratio`` inside a
    ratio spec)."""
    found = []
    for name, spec in specs.items():
        parts = [("", spec)] if not isinstance(spec, cfg.RatioSpec) else [
            (".first", spec.first), (".ratio", spec.ratio)]
        found += [(name, part) for part, s in parts
                  if isinstance(s, cfg.FloatSpec) and s.step is None]
    return found


def _never_text(rule: str) -> str:
    return {"true": "false", ">0": "0"}.get(rule, f"not {rule[1:]}")
