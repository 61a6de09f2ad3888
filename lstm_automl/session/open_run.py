"""Step 2 of a sweep: say what will run, then open (or re-attach) the sweep's MLflow run.

After this step a kill always leaves state that resumes: the sweep folder names its run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lstm_automl.config.space_summary import (
    format_size,
    searched_names,
    space_size,
    summary_rows,
    sweep_space,
)
from lstm_automl.console import Reporter, fmt_value, print_header, silenced
from lstm_automl.model.backend import active_backend
from lstm_automl.redaction import redact
from lstm_automl.sweep_file.loader import LoadedSweep
from lstm_automl.tracking.runs import SweepTracker
from lstm_automl.tracking.store import tracking_call
from lstm_automl.tracking.tags import (
    BACKEND_TAG,
    CONFIG_HASH_TAG,
    IDENTITY_VERSION_TAG,
    MAX_TRIALS_TAG,
    OVERRIDES_TAG,
    PROCESSES_TAG,
    SUPERSEDED_BY_TAG,
    SWEEP_FILE_TAG,
    SWEEP_ID_TAG,
    SWEEP_NAME_TAG,
    TASK_TAG,
)

if TYPE_CHECKING:
    from lstm_automl.session.prepare import Prepared

__all__ = ["configure_reporter", "open_sweep_run"]


def open_sweep_run(prep: Prepared, reporter: Reporter) -> None:
    """Print the header and open (or re-attach) the sweep run; remember it in the folder."""
    assert prep.opening is not None  # workers attach to the chief's run instead
    loaded, tracker, state = prep.loaded, prep.tracker, prep.opening.state
    config = loaded.config
    configure_reporter(prep, reporter)
    # A recycled process goes on silently: an earlier process of this sweep printed this.
    with silenced(reporter, prep.continues):
        print_header(loaded, prep.data, prep.uri, reporter, prep.direction, prep.variants)
        for note in prep.opening.notes:
            reporter.line(f"  note: {note}")
        tags = {**_sweep_tags(loaded), SWEEP_ID_TAG: state.sweep_id,
                CONFIG_HASH_TAG: state.config_hash, MAX_TRIALS_TAG: str(prep.plan.max_trials),
                IDENTITY_VERSION_TAG: str(state.identity_version)}
        # What is recorded passes through redact: a tracking URI's password stays out.
        tracker.start_sweep(config.name, _sweep_params(prep), tags,
                            redact(loaded.text), _space_text(dict(prep.plan.specs)),
                            attach=prep.parent)
        if loaded.effective:  # --set overrides: the sweep as it runs, beside the file
            with tracking_call(prep.uri, "logging the effective config"):
                tracker.log_text(redact(loaded.effective), "sweep_effective.yaml")
            tracker.set_sweep_tags({OVERRIDES_TAG: redact(" ".join(loaded.overrides))[:5000]})
        if prep.segment is not None:  # how many processes this sweep took so far
            tracker.set_sweep_tags({PROCESSES_TAG: str(prep.segment.number)})
        state.parent_run_id, state.tracking_uri = tracker.parent_run_id, redact(prep.uri)
        state.save()
        _supersede(tracker, prep)
        again = " (resumed)" if prep.parent is not None else ""
        if prep.resumed and prep.parent is None:
            reporter.line("  note: the sweep's earlier MLflow run is not in this store; its "
                          "finished trials count, their runs are elsewhere")
        reporter.line(f"  MLflow: experiment '{config.experiment_name}', sweep run "
                      f"{tracker.parent_run_id}{again}")


def configure_reporter(prep: Prepared, reporter: Reporter) -> None:
    """What the console needs to print trials: objective, direction, searched names, budget."""
    config, plan = prep.loaded.config, prep.plan
    reporter.objective, reporter.minimise = plan.objective, plan.minimise
    reporter.searched = searched_names(config)
    reporter.total = None if plan.algorithm == "hyperband" else _trial_budget(config)


def _supersede(tracker: SweepTracker, prep: Prepared) -> None:
    """After --fresh, point the discarded sweep's run at the new one (and close it if open)."""
    previous = prep.opening.previous if prep.opening is not None else None
    if previous is None:
        return
    old = tracker.find_sweep(previous.sweep_id, previous.parent_run_id)
    if old is None or old.info.run_id == tracker.parent_run_id:
        return
    status = "KILLED" if old.info.status == "RUNNING" else old.info.status
    tracker.close_run(old.info.run_id, status,
                      tags={SUPERSEDED_BY_TAG: str(tracker.parent_run_id)})


def _trial_budget(config: Any) -> int:
    """Trials the sweep runs at most: a grid's size (data and training settings included) when
    smaller than max_trials."""
    size = sweep_space(config)[1]
    if config.tuner.algorithm == "grid" and size is not None:
        return min(size, config.tuner.max_trials)
    return int(config.tuner.max_trials)


def _space_text(specs: dict[str, Any]) -> str:
    rows = summary_rows(specs)
    lines = [f"{name}: {text}" for name, text in rows] or ["(nothing searched)"]
    fixed = [f"{n}: {fmt_value(v)}" for n, v in specs.items() if n not in dict(rows)]
    return "\n".join(["searched:", *lines, f"size: {format_size(space_size(specs))}", "fixed:",
                      *fixed]) + "\n"


def _sweep_params(prep: Prepared) -> dict[str, Any]:
    config, plan, data = prep.loaded.config, prep.plan, prep.data
    params: dict[str, Any] = {
        "seed": plan.seed, "algorithm": plan.algorithm,
        "max_trials": plan.max_trials, "objective": plan.objective,
        "epochs": plan.max_epochs,
        "early_stopping_patience": plan.early_stopping_patience,
    }
    params.update(search_params(config))
    if config.final_model.mc_dropout is not None:  # the registered model's prediction intervals
        params["mc_dropout.samples"] = config.final_model.mc_dropout.samples
    params.update({f"data.{k}": v for k, v in data.summary().items() if k != "source"})
    params["data.source"] = config.data.source
    return params


def search_params(config: Any) -> dict[str, Any]:
    """How the search spends its budget (pruning, time, target, start_with, warm_start), for
    the run."""
    pruning = config.tuner.pruning
    params: dict[str, Any] = {"pruning": pruning.rule}
    if pruning.enabled:
        params.update({"pruning.min_epochs": pruning.min_epochs,
                       "pruning.min_trials": pruning.min_trials})
        if pruning.rule == "asha":
            params["pruning.reduction_factor"] = pruning.reduction_factor
    optional = {"max_time": config.tuner.max_time, "target": config.tuner.target,
                "max_trial_time": config.training.max_trial_time,
                "start_with": len(config.tuner.start_with) or None,
                "warm_start": config.tuner.warm_start}
    params.update({k: v for k, v in optional.items() if v is not None})
    return params


def _sweep_tags(loaded: LoadedSweep) -> dict[str, str]:
    return {SWEEP_NAME_TAG: loaded.config.name, SWEEP_FILE_TAG: loaded.path.name,
            TASK_TAG: loaded.config.data.task, BACKEND_TAG: active_backend()}
