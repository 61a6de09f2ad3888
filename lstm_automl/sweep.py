"""One sweep end to end: data → tuner search with MLflow → test split → registry.

Everything that can be refused (config, data, tracking store) is checked before the first model
is built or the first MLflow run is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lstm_automl.console import VERBOSE, Reporter, fmt_value
from lstm_automl.data import SweepData, load_data
from lstm_automl.errors import SweepError
from lstm_automl.families import MAXIMISED_METRICS
from lstm_automl.loader import LoadedSweep
from lstm_automl.space_summary import format_size, space_size, summary_rows
from lstm_automl.tracking import (
    SweepTracker,
    TrialRecord,
    check_store,
    disable_telemetry,
    display_uri,
    failure_reason,
    resolve_tracking_uri,
)


@dataclass
class SweepResult:
    """What a finished sweep produced, for the console and for tests."""

    parent_run_id: str
    records: list[TrialRecord]
    best: TrialRecord
    test_metrics: dict[str, float]
    baselines: dict[str, dict[str, float]]
    primary_metric: str = "rmse"
    higher_is_better: bool = False
    lift: float | None = None  # relative improvement over the best baseline
    model_name: str | None = None
    model_version: str | None = None
    champion: bool = False
    champion_reason: str = ""
    tracking_uri: str = ""
    notes: list[str] = field(default_factory=list)


def tuner_directory(loaded: LoadedSweep) -> Path:
    """Where keras-tuner keeps trial state: ``tuner.directory`` or ./.lstm_sweep."""
    configured = loaded.config.tuner.directory
    return Path(configured) if configured else Path(".lstm_sweep")


def run_sweep(loaded: LoadedSweep, reporter: Reporter) -> SweepResult:
    """Run the whole sweep; raises project errors with a clear message on failure."""
    config = loaded.config
    data = load_data(loaded)
    disable_telemetry()
    uri = resolve_tracking_uri(config.tracking.tracking_uri)
    check_store(uri)

    from lstm_automl import hypermodel, tuners  # TensorFlow loads only once the sweep is sound

    specs = config.search.specs()
    objective = config.tuner.objective
    direction = config.tuner.direction or (
        "max" if objective.removeprefix("val_") in MAXIMISED_METRICS else "min")
    reporter.objective, reporter.minimise = objective, direction == "min"
    reporter.searched = [name for name, _ in summary_rows(specs)]
    reporter.total = None if config.tuner.algorithm == "hyperband" else _trial_budget(config, specs)
    _print_header(loaded, data, uri, reporter, direction)

    tracker = SweepTracker(uri, config.experiment_name)
    space_text = _space_text(specs)
    tracker.start_sweep(config.name, _sweep_params(loaded, data), _sweep_tags(loaded),
                        loaded.text, space_text)
    reporter.line(f"  MLflow: experiment '{config.experiment_name}', sweep run "
                  f"{tracker.parent_run_id}")
    try:
        return _search_and_register(loaded, data, tracker, reporter, hypermodel, tuners,
                                    direction, uri)
    except BaseException as exc:
        status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
        tracker.abort(status)
        raise


def _search_and_register(loaded: LoadedSweep, data: SweepData, tracker: SweepTracker,
                         reporter: Reporter, hypermodel: Any, tuners: Any, direction: str,
                         uri: str) -> SweepResult:
    import keras

    config = loaded.config
    keras.utils.set_random_seed(config.seed)
    tuner = _make_tuner(loaded, data, tracker, reporter, hypermodel, tuners, direction)
    callbacks = []
    if config.training.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=config.tuner.objective, mode=direction,
            patience=config.training.early_stopping_patience, restore_best_weights=True))
    train, val, test = (data.splits[s] for s in ("train", "validation", "test"))
    try:
        tuner.search(train.x, train.y, validation_data=(val.x, val.y),
                     epochs=config.training.epochs, callbacks=callbacks,
                     verbose=2 if reporter.verbosity >= VERBOSE else 0,
                     shuffle=config.training.shuffle, **data.fit_kwargs())
    except RuntimeError as exc:
        if "consecutive failures" not in str(exc).lower():
            raise
        raise SweepError(
            f"stopped after {config.tuner.max_consecutive_failures} failed trials in a row "
            f"(tuner.max_consecutive_failures); last failure: {_last_failure(tuner)}"
        ) from None

    records = tuner.trial_records
    completed = [r for r in records if r.status == "COMPLETED" and r.score is not None]
    if not completed:
        raise SweepError(
            f"no trial completed ({len(records)} ran); last failure: {_last_failure(tuner)}"
        )
    best_trial = tuner.oracle.get_best_trials(1)[0]
    best = next(r for r in records if r.trial_id == best_trial.trial_id)
    model = tuner.load_model(best_trial)
    predicted = model.predict(test.x, verbose=0)
    result = SweepResult(parent_run_id=tracker.parent_run_id or "", records=records, best=best,
                         test_metrics=data.evaluate(predicted), baselines=data.baselines(),
                         primary_metric=data.primary_metric,
                         higher_is_better=data.higher_is_better,
                         lift=None, tracking_uri=display_uri(uri), notes=loaded.notes)
    result.lift = data.lift(result.test_metrics)
    header, rows = data.prediction_table(predicted)
    tracker.log_table(header, rows, "test_predictions.csv")
    if config.tracking.register_best:
        _register(loaded, data, model, test.x, result)
    _finish(tracker, result, config.tuner.objective)
    return result


def _make_tuner(loaded: LoadedSweep, data: SweepData, tracker: SweepTracker, reporter: Reporter,
                hypermodel: Any, tuners: Any, direction: str) -> Any:
    import keras_tuner as kt

    config = loaded.config
    model_builder = hypermodel.SweepHyperModel(config.search.specs(), data.model_shape(),
                                               config.seed)
    algorithm = config.tuner.algorithm
    common: dict[str, Any] = dict(
        hypermodel=model_builder,
        objective=kt.Objective(config.tuner.objective, direction=direction),
        executions_per_trial=config.tuner.executions_per_trial,
        seed=config.seed,
        directory=str(tuner_directory(loaded)),
        project_name=config.name,
        overwrite=True,
        max_consecutive_failed_trials=config.tuner.max_consecutive_failures,
        tracker=tracker,
        on_event=reporter.on_trial,
    )
    if algorithm == "hyperband":
        common.update(max_epochs=config.training.epochs, factor=config.tuner.hyperband_factor)
    else:
        common["max_trials"] = config.tuner.max_trials
    return tuners.make_tuner(algorithm, print_tracebacks=reporter.debug, **common)


def _register(loaded: LoadedSweep, data: SweepData, model: Any, x_test: np.ndarray,
              result: SweepResult) -> None:
    from mlflow.models import infer_signature

    from lstm_automl.tracking import log_champion_candidate

    config = loaded.config
    # Build the optimizer's slots so the saved file reloads without a "skipping variables" warning.
    model.optimizer.build(model.trainable_variables)
    sample = x_test[: min(len(x_test), 8)]
    signature = infer_signature(sample, model.predict(sample, verbose=0))
    prefixed = {f"test_{k}": v for k, v in result.test_metrics.items()}
    description = (f"Best of sweep '{config.name}' ({result.best.name}), task {data.task}, "
                   f"data {data.source}; inputs are windows scaled as in training.")
    version, champion, reason = log_champion_candidate(
        model, config.model_name, signature, prefixed, f"test_{data.primary_metric}",
        data.higher_is_better, result.parent_run_id, description,
    )
    result.model_name, result.model_version = config.model_name, version
    result.champion, result.champion_reason = champion, reason


def _finish(tracker: SweepTracker, result: SweepResult, objective: str) -> None:
    metrics = {f"test_{k}": v for k, v in result.test_metrics.items()}
    for name, values in result.baselines.items():
        metrics.update({f"baseline_{name}_test_{k}": v for k, v in values.items()})
    primary = result.primary_metric
    if result.lift is not None:
        metrics[f"test_{primary}_lift_over_best_baseline"] = result.lift
        tracker.mlflow.set_tag("beats_baselines", str(result.lift > 0).lower())
    if result.best.score is not None:
        metrics[f"best_{objective}"] = result.best.score
    completed = sum(r.status == "COMPLETED" for r in result.records)
    metrics.update(trials_completed=completed, trials_failed=len(result.records) - completed)
    tracker.mlflow.set_tag("best_trial", result.best.name)
    summary = {
        "best_trial": result.best.name, "best_values": result.best.values,
        "test_metrics": result.test_metrics, "baselines": result.baselines,
        "primary_metric": primary, "lift_over_best_baseline": result.lift,
        "registered": {"name": result.model_name, "version": result.model_version,
                       "champion": result.champion, "reason": result.champion_reason},
        "trials": [{"name": r.name, "status": r.status, "score": r.score, "epochs": r.epochs,
                    "seconds": round(r.seconds, 2), "run_id": r.run_id} for r in result.records],
    }
    tracker.finish_sweep(metrics, result.best.values, summary)


def _last_failure(tuner: Any) -> str:
    for record in reversed(getattr(tuner, "trial_records", [])):
        if record.message:
            return failure_reason(record.message)
    return "unknown"


def _trial_budget(config: Any, specs: dict[str, Any]) -> int:
    size = space_size(specs)
    if config.tuner.algorithm == "grid" and size is not None:
        return min(size, config.tuner.max_trials)
    return config.tuner.max_trials


def _space_text(specs: dict[str, Any]) -> str:
    rows = summary_rows(specs)
    lines = [f"{name}: {text}" for name, text in rows] or ["(nothing searched)"]
    fixed = [f"{n}: {fmt_value(v)}" for n, v in specs.items() if n not in dict(rows)]
    return "\n".join(["searched:", *lines, f"size: {format_size(space_size(specs))}", "fixed:",
                      *fixed]) + "\n"


def _sweep_params(loaded: LoadedSweep, data: SweepData) -> dict[str, Any]:
    config = loaded.config
    params: dict[str, Any] = {
        "seed": config.seed, "algorithm": config.tuner.algorithm,
        "max_trials": config.tuner.max_trials, "objective": config.tuner.objective,
        "epochs": config.training.epochs,
        "early_stopping_patience": config.training.early_stopping_patience,
    }
    params.update({f"data.{k}": v for k, v in data.summary().items() if k != "source"})
    params["data.source"] = config.data.source
    return params


def _sweep_tags(loaded: LoadedSweep) -> dict[str, str]:
    return {"sweep": loaded.config.name, "sweep_file": loaded.path.name,
            "task": loaded.config.data.task}


def _print_header(loaded: LoadedSweep, data: SweepData, uri: str, reporter: Reporter,
                  direction: str) -> None:
    config = loaded.config
    budget = f"{reporter.total} trials" if reporter.total else "hyperband brackets"
    reporter.line(f"lstm-sweep: sweep '{config.name}': {budget} of {config.tuner.algorithm} "
                  f"search, objective {config.tuner.objective} ({direction}), seed {config.seed}")
    reporter.line(f"  data: {data.describe()}")
    specs = config.search.specs()
    rows = summary_rows(specs)
    searched = "; ".join(f"{n} ({t})" for n, t in rows) or "nothing searched"
    reporter.line(f"  space: {searched}; {format_size(space_size(specs))}")
    reporter.line(f"  tracking: {display_uri(uri)}")
    for note in loaded.notes:
        reporter.line(f"  note: {note}")
