"""One sweep end to end: data → tuner search with MLflow → test split → registry.

Everything that can be refused (config, data, tracking store, a changed definition of an existing
sweep) is checked before the first model is built or the first MLflow run is created.

A sweep survives interruptions: its folder (``<tuner.directory>/<name>``) keeps keras-tuner's
state and the sweep's identity (resume.py), so running it again reloads the oracle, re-attaches
the same MLflow sweep run, closes the runs the interruption left open (recovery.py), retries the
interrupted trial and trains nothing that already finished.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstm_automl.console import VERBOSE, Reporter, fmt_value
from lstm_automl.data import SweepData, load_data, load_variants
from lstm_automl.data.base import DEFAULT_BASELINE_BUDGET_S
from lstm_automl.errors import Recycle, SweepError, TrackingError
from lstm_automl.config.names import direction as objective_direction
from lstm_automl.resume.identity import data_fingerprint, identity_hash
from lstm_automl.config.loader import LoadedSweep, add_data_notes
from lstm_automl.model.python_model import PythonBuilder, file_hash, load_builder, python_ref
from lstm_automl.resume.recovery import OracleTrial, reconcile
from lstm_automl.distributed.process_recycling import Segment, current_segment
from lstm_automl.results.sweep_result import SweepResult, result_from_summary, summary_of
from lstm_automl.resume.state_folder import Opening, open_folder, run_identity
from lstm_automl.config.space_summary import (
    format_size,
    space_size,
    space_text,
    summary_rows,
    sweep_space,
)
from lstm_automl.tuning._keras_tuner_private import checkpoint_path, is_worker
from lstm_automl.tracking.runs import (
    CONFIG_HASH_TAG,
    MAX_TRIALS_TAG,
    REGISTERED_TAG,
    SWEEP_ID_TAG,
    SweepTracker,
    TrialRecord,
    artifact_location,
    check_store,
    disable_telemetry,
    display_uri,
    failure_reason,
    resolve_tracking_uri,
    tracking_call,
)
from lstm_automl.results.verdict import BASELINE_LABEL_TAG, STRONGEST_TAG, VERDICT_TAG

__all__ = ["Prepared", "SweepResult", "prepare", "run_sweep", "sweep_folder", "tuner_directory"]

REGISTERED_FOR_TAG = "lstm_sweep.registered_for"
PROCESSES_TAG = "lstm_sweep.processes"  # a recycled sweep: the processes it ran in so far


def tuner_directory(loaded: LoadedSweep) -> Path:
    """Where keras-tuner keeps trial state: ``tuner.directory`` or ./.lstm_sweep."""
    configured = loaded.config.tuner.directory
    return Path(configured) if configured else Path(".lstm_sweep")


def sweep_folder(loaded: LoadedSweep) -> Path:
    """The folder of this sweep's state: what resuming reads and ``--fresh`` discards."""
    return tuner_directory(loaded) / loaded.config.name


@dataclass
class Prepared:
    """A sweep checked and opened, before TensorFlow loads: what every mode starts from."""

    loaded: LoadedSweep
    data: SweepData
    uri: str  # the store as configured (what users see and open)
    direction: str
    opening: Opening | None  # None in a worker: the launching process owns the folder
    tracker: SweepTracker  # talks to ``via`` when a local server fronts the store
    parent: Any | None  # the existing sweep run when resuming
    rerun: str
    variants: Any = None  # ForecastVariants when the data section searches settings
    segment: Segment | None = None  # set in a child of the recycling supervisor (recycle.py)
    python: Any = None  # python_model.PythonBuilder: model.python's function builds the trials


def prepare(loaded: LoadedSweep, fresh: bool = False, rerun: str | None = None,
            via: str | None = None) -> Prepared:
    """Load data, check the store, open the sweep folder and find its sweep run.

    ``via``: the URI to talk to instead of the store itself (a local server in front of it).
    """
    config = loaded.config
    python = load_builder(loaded)  # a broken model file stops here: no run, no folder yet
    data = load_data(loaded)
    variants = load_variants(loaded)  # every searched data variant is checked before training
    add_data_notes(loaded, data, variants)  # the run header prints them with the loader's notes
    disable_telemetry()
    uri = resolve_tracking_uri(config.tracking.tracking_uri)
    check_store(uri)
    direction = sweep_direction(loaded)
    identity = run_identity(config, direction, data_fingerprint(data), python_hash(python))
    rerun = rerun or f"lstm-sweep run {loaded.source or loaded.path}"
    opening = open_folder(sweep_folder(loaded), identity, identity_hash(identity), fresh, rerun)
    tracker = SweepTracker(via or uri, config.experiment_name,
                           artifact_root=artifact_location(uri, config.experiment_name))
    state = opening.state
    parent = tracker.find_sweep(state.sweep_id, state.parent_run_id) if opening.resumed else None
    return Prepared(loaded, data, uri, direction, opening, tracker, parent, rerun, variants,
                    current_segment(), python)


def python_hash(python: PythonBuilder | None) -> str | None:
    """The content hash of the sweep's model file, for its identity (None: built-in network)."""
    return None if python is None else file_hash(python.ref)


def run_sweep(loaded: LoadedSweep, reporter: Reporter, fresh: bool = False,
              rerun: str | None = None) -> SweepResult:
    """Run (or resume) the whole sweep; raises project errors with a clear message on failure.

    ``rerun`` is the command line that runs this sweep again, for messages.
    """
    prep = prepare(loaded, fresh, rerun)
    if prep.parent is not None and is_complete(prep.parent, loaded):
        return completed_result(prep)
    hypermodel, tuners = open_sweep_run(prep, reporter)
    with guarded(prep, tuners):
        return _search_and_register(prep, reporter, hypermodel, tuners)


def recycle_every(prep: Prepared) -> int:
    """Trials this process runs before a fresh one takes over (0: all of them)."""
    return prep.loaded.config.training.recycle_every if prep.segment is not None else 0


def open_sweep_run(prep: Prepared, reporter: Reporter) -> tuple[Any, Any]:
    """Print the header, load TensorFlow, open (or re-attach) the sweep run.

    Returns the hypermodel and tuners modules (imported only now: TensorFlow is slow to load).
    """
    from lstm_automl.model import hypermodel
    from lstm_automl.tuning import tuners
    assert prep.opening is not None
    loaded, tracker, state = prep.loaded, prep.tracker, prep.opening.state
    config = loaded.config
    specs = config.search.specs()
    configure_reporter(prep, reporter)
    # A recycled process goes on silently: an earlier process of this sweep printed this.
    with silenced(reporter, prep.segment is not None and prep.segment.continues):
        _print_header(loaded, prep.data, prep.uri, reporter, prep.direction)
        for note in prep.opening.notes:
            reporter.line(f"  note: {note}")
        tags = {**_sweep_tags(loaded), SWEEP_ID_TAG: state.sweep_id,
                CONFIG_HASH_TAG: state.config_hash, MAX_TRIALS_TAG: str(config.tuner.max_trials)}
        tracker.start_sweep(config.name, _sweep_params(loaded, prep.data), tags, loaded.text,
                            _space_text(specs), attach=prep.parent)
        if prep.segment is not None:  # how many processes this sweep took so far
            tracker.set_sweep_tags({PROCESSES_TAG: str(prep.segment.number)})
        state.parent_run_id, state.tracking_uri = tracker.parent_run_id, prep.uri
        state.save()
        _supersede(tracker, prep.opening)
        again = " (resumed)" if prep.parent is not None else ""
        if prep.opening.resumed and prep.parent is None:
            reporter.line("  note: the sweep's earlier MLflow run is not in this store; its "
                          "finished trials count, their runs are elsewhere")
        reporter.line(f"  MLflow: experiment '{config.experiment_name}', sweep run "
                      f"{tracker.parent_run_id}{again}")
    return hypermodel, tuners


@contextlib.contextmanager
def silenced(reporter: Reporter, when: bool) -> Iterator[None]:
    """Print nothing in the block ``when`` true (errors still reach stderr)."""
    shown = reporter.verbosity
    if when:
        reporter.verbosity = -1
    try:
        yield
    finally:
        reporter.verbosity = shown


def configure_reporter(prep: Prepared, reporter: Reporter) -> None:
    """What the console needs to print trials: objective, direction, searched names, budget."""
    config = prep.loaded.config
    specs = config.search.specs()
    reporter.objective, reporter.minimise = config.tuner.objective, prep.direction == "min"
    reporter.searched = [name for name, _ in summary_rows(specs)]
    reporter.total = None if config.tuner.algorithm == "hyperband" else _trial_budget(config, specs)


@contextlib.contextmanager
def guarded(prep: Prepared, tuners: Any) -> Iterator[None]:
    """Close the sweep's runs on any way out; a lost store says how to resume."""
    tracker = prep.tracker
    try:
        yield
    except Recycle:  # between trials, everything saved: the next process goes on from here
        raise
    except KeyboardInterrupt:
        tracker.abort("KILLED")
        raise
    except (tuners.TrackingLost, TrackingError) as exc:
        tracker.abort("FAILED", str(exc))
        raise TrackingError(_lost_message(str(exc), prep.loaded, prep.rerun)) from None
    except BaseException:
        tracker.abort("FAILED")
        raise


def sweep_direction(loaded: LoadedSweep) -> str:
    """``tuner.direction``, else the objective's natural one (``families.direction``)."""
    tuner = loaded.config.tuner
    return objective_direction(tuner.objective, tuner.direction)


def search_arguments(prep: Prepared, reporter: Reporter) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """What ``tuner.search`` gets: the training split, validation data, epochs, callbacks."""
    import keras

    config, data = prep.loaded.config, prep.data
    callbacks = []
    if config.training.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=config.tuner.objective, mode=prep.direction,
            patience=config.training.early_stopping_patience, restore_best_weights=True))
    train, val = data.splits["train"], data.splits["validation"]
    kwargs = dict(validation_data=(val.x, val.y), epochs=config.training.epochs,
                  callbacks=callbacks, verbose=2 if reporter.verbosity >= VERBOSE else 0,
                  shuffle=config.training.shuffle, **data.fit_kwargs())
    return (train.x, train.y), kwargs


def consecutive_failures_error(prep: Prepared, tuner: Any) -> SweepError:
    return SweepError(
        f"stopped after {prep.loaded.config.tuner.max_consecutive_failures} failed trials in a "
        f"row (tuner.max_consecutive_failures); last failure: {_last_failure(tuner)}")


def _search_and_register(prep: Prepared, reporter: Reporter, hypermodel: Any,
                         tuners: Any) -> SweepResult:
    import keras

    keras.utils.set_random_seed(prep.loaded.config.seed)
    tuner = make_sweep_tuner(prep, reporter, hypermodel, tuners)
    if prep.opening is not None and prep.opening.resumed:
        recover(tuner, prep.tracker, reporter, tuners, quiet=prep.segment is not None
                and prep.segment.continues)
    args, kwargs = search_arguments(prep, reporter)
    try:
        tuner.search(*args, **kwargs)
    except RuntimeError as exc:
        if "consecutive failures" not in str(exc).lower():
            raise
        raise consecutive_failures_error(prep, tuner) from None
    records = tuners.sweep_records(tuner.oracle, prep.tracker.trial_runs(), tuner.trial_records)
    return finish_sweep(prep, tuner, records)


def make_sweep_tuner(prep: Prepared, reporter: Reporter, hypermodel: Any, tuners: Any) -> Any:
    """The MLflow-aware tuner, reloading the sweep's state from its folder when there is one.

    In a worker process (keras-tuner's KERASTUNER_* variables set) its oracle is the chief's.
    """
    import keras_tuner as kt

    loaded, data, tracker, direction = prep.loaded, prep.data, prep.tracker, prep.direction
    config = loaded.config
    if config.training.mixed_precision:
        import keras

        keras.mixed_precision.set_global_policy("mixed_float16")  # heads stay float32
    train = data.splits["train"]
    work = len(train.x) * data.model_shape().steps * config.training.epochs
    model_builder = hypermodel.SweepHyperModel(
        config.search.specs(), data.model_shape(), config.seed, variants=prep.variants,
        jit_compile=hypermodel.resolve_jit(config.training.jit_compile, work),
        python=prep.python)
    algorithm = config.tuner.algorithm
    common: dict[str, Any] = dict(
        hypermodel=model_builder,
        objective=kt.Objective(config.tuner.objective, direction=direction),
        executions_per_trial=config.tuner.executions_per_trial,
        seed=config.seed,
        directory=str(tuner_directory(loaded)),
        project_name=config.name,
        overwrite=False,  # resume.open_folder already discarded what must not be resumed
        max_consecutive_failed_trials=config.tuner.max_consecutive_failures,
        tracker=tracker,
        on_event=reporter.on_trial,
        recycle_every=recycle_every(prep),
    )
    if algorithm == "hyperband":
        common.update(max_epochs=config.training.epochs, factor=config.tuner.hyperband_factor)
    else:
        common["max_trials"] = config.tuner.max_trials
    with contextlib.redirect_stdout(io.StringIO()):  # keras-tuner's "Reloading Tuner from ..."
        tuner = tuners.make_tuner(algorithm, print_tracebacks=reporter.debug, **common)
    if algorithm != "hyperband" and not is_worker(tuner):
        tuner.oracle.max_trials = config.tuner.max_trials  # a raised max_trials is allowed
    tuner.save()  # from now on a kill always leaves state that reloads
    return tuner


def recover(tuner: Any, tracker: SweepTracker, reporter: Reporter, tuners: Any,
            quiet: bool = False) -> None:
    """Close what the interruption left open in MLflow and say where the sweep stands
    (``quiet``: a recycled process goes on silently, as if it were the same one)."""
    oracle = tuner.oracle
    trials = {tid: OracleTrial(str(t.status), t.score, t.message)
              for tid, t in oracle.trials.items()}
    fixed = reconcile(tracker, trials, oracle.objective.name)
    ended = tuners.sweep_records(oracle, tracker.trial_runs(), [])
    completed = [r for r in ended if r.status == "COMPLETED" and r.score is not None]
    sign = 1.0 if reporter.minimise else -1.0
    if completed:  # the console's "best so far" goes on from the earlier sessions
        reporter.best = min(completed, key=lambda r: sign * float(r.score or 0.0))
    retried = ", ".join(f"trial-{tuners.trial_number(t, 0):03d}" for t in tuner.retried_ids)
    parts = [f"{len(ended)} trial{'s' if len(ended) != 1 else ''} already ended "
             f"({len(completed)} completed, {len(ended) - len(completed)} failed)"]
    if retried:
        parts.append(f"interrupted and retried now: {retried}")
    if fixed.killed:
        parts.append(f"{len(fixed.killed)} orphaned trial run(s) marked KILLED")
    if fixed.recovered:
        parts.append(f"{len(fixed.recovered)} trial run(s) closed with the tuner's result")
    if quiet:
        return
    reporter.line(f"  resuming: {'; '.join(parts)}")
    if reporter.best is not None and reporter.best.score is not None:
        reporter.line(f"  best so far {reporter.best.score:.4g} ({reporter.best.name})")


def finish_sweep(prep: Prepared, tuner: Any, records: list[TrialRecord]) -> SweepResult:
    """Evaluate the best trial on the test split, log it, register it, close the sweep run."""
    loaded, data, tracker, uri = prep.loaded, prep.data, prep.tracker, prep.uri
    config = loaded.config
    completed = [r for r in records if r.status == "COMPLETED" and r.score is not None]
    if not completed:
        raise SweepError(
            f"no trial completed ({len(records)} ran); last failure: {_last_failure(tuner)}"
        )
    best_trial = tuner.oracle.get_best_trials(1)[0]
    best = next(r for r in records if r.trial_id == best_trial.trial_id)
    checkpoint = Path(checkpoint_path(tuner, best_trial.trial_id))  # keras-tuner's layout
    if not checkpoint.exists():
        raise SweepError(f"the best trial's checkpoint {checkpoint} is missing: workers on other "
                         f"machines must share tuner.directory with the chief (for example on "
                         f"NFS)")
    if prep.variants is not None:  # evaluate on the data variant the best trial trained on
        data = prep.variants.from_hp_values(best_trial.hyperparameters.values)
    final = _final_model(prep, tuner, data, records)
    model = final.model
    test = data.splits["test"]
    predicted = model.predict(test.x, verbose=0)
    report = data.baseline_report(_baseline_budget(records))
    result = SweepResult(parent_run_id=tracker.parent_run_id or "", records=records, best=best,
                         test_metrics=data.evaluate(predicted), baselines=report.metrics,
                         primary_metric=data.primary_metric,
                         higher_is_better=data.higher_is_better,
                         lift=None, tracking_uri=display_uri(uri), notes=loaded.notes,
                         baseline_labels=report.labels,
                         baseline_notes=[*report.notes, *final.notes],
                         final_model=final.description, baseline_seconds=report.seconds)
    result.lift = result.verdict.lift
    header, rows = data.prediction_table(predicted)
    with tracking_call(uri, "logging the test predictions"):
        tracker.log_table(header, rows, "test_predictions.csv")
    if config.tracking.register_best:
        _register_once(loaded, data, model, test.x, result, tracker)
    with tracking_call(uri, "closing the sweep's run"):
        _finish(tracker, result, config.tuner.objective)
    _log_pictures(tracker.uri, result.parent_run_id)
    return result


def _baseline_budget(records: list[TrialRecord]) -> float:
    """Seconds the baselines' own searches may take: what a median trial took (a sweep of many
    long sequences must not spend more on its references than on one of its models), at least
    a few seconds so that small sweeps still get every method."""
    seconds = sorted(r.seconds for r in records if r.status == "COMPLETED" and r.seconds > 0)
    if not seconds:
        return DEFAULT_BASELINE_BUDGET_S
    return max(10.0, min(DEFAULT_BASELINE_BUDGET_S, seconds[len(seconds) // 2]))


def _final_model(prep: Prepared, tuner: Any, data: SweepData,
                 records: list[TrialRecord]) -> Any:
    """The registered network: the best trial, or the ensemble ``final_model`` asks for."""
    from lstm_automl.model.final_model import build_final_model

    config = prep.loaded.config
    names = {r.trial_id: r.name for r in records}
    return build_final_model(config.final_model, tuner, data, config.search.specs(),
                             config.seed, names, config.training.jit_compile, prep.python)


def _log_pictures(uri: str, run_id: str) -> None:
    """Pictures are a convenience: a plotting problem must never fail a finished sweep."""
    try:
        from mlflow import MlflowClient

        from lstm_automl.report import log_sweep_figures

        log_sweep_figures(MlflowClient(tracking_uri=uri), run_id)
    except Exception as exc:  # matplotlib or the store: say so and keep the result
        print(f"  note: could not draw the sweep's pictures: {failure_reason(str(exc))}")


def _register_once(loaded: LoadedSweep, data: SweepData, model: Any, x_test: np.ndarray,
                   result: SweepResult, tracker: SweepTracker) -> None:
    """Register the best model, unless an interrupted earlier finish already registered it."""
    done_for = f"{result.best.trial_id}/{len(result.records)}"
    tags = tracker.client.get_run(result.parent_run_id).data.tags
    if tags.get(REGISTERED_FOR_TAG) == done_for and tags.get(REGISTERED_TAG):
        from lstm_automl.tracking.runs import champion_state

        result.model_name, result.model_version = loaded.config.model_name, tags[REGISTERED_TAG]
        result.champion, result.champion_reason = champion_state(
            loaded.config.model_name, result.model_version)
        return
    _register(loaded, data, model, x_test, result)
    tracker.set_sweep_tags({REGISTERED_TAG: str(result.model_version),
                            REGISTERED_FOR_TAG: done_for})


def _register(loaded: LoadedSweep, data: SweepData, model: Any, x_test: np.ndarray,
              result: SweepResult) -> None:
    from lstm_automl.tracking.model_saving import raw_signature
    from lstm_automl.tracking.runs import log_champion_candidate

    config = loaded.config
    # Build the optimizer's slots so the saved file reloads without a "skipping variables" warning.
    if getattr(model, "optimizer", None) is not None:
        model.optimizer.build(model.trainable_variables)
    from lstm_automl.tracking.pyfunc import SweepModel
    from lstm_automl.tracking.serving import forecast_spec, input_example, sequence_spec

    spec = forecast_spec(data) if data.task == "forecast" else sequence_spec(data)
    example = input_example(spec, data)
    signature = raw_signature(example, SweepModel(model, spec).predict(example))
    prefixed = {f"test_{k}": v for k, v in result.test_metrics.items()}
    verdict = result.verdict
    description = (f"Best of sweep '{config.name}': {result.final_model or result.best.name}; "
                   f"task {data.task}, data {data.source}. {verdict.sentence()} Takes a raw "
                   f"table with the training columns and returns predictions in original units "
                   f"(mlflow.pyfunc).")
    withheld = None
    if config.tracking.champion_must_beat_baseline and verdict.beats is False:
        withheld = (f"it does not beat the strongest baseline, {verdict.baseline} "
                    f"(tracking.champion_must_beat_baseline)")
    version, champion, reason = log_champion_candidate(
        model, config.model_name, signature, prefixed, f"test_{data.primary_metric}",
        data.higher_is_better, result.parent_run_id, description, spec, example,
        withheld=withheld, tags={VERDICT_TAG: verdict.tag()},
        python_file=ref.path if (ref := python_ref(config, loaded.base_dir)) else None,
    )
    result.model_name, result.model_version = config.model_name, version
    result.champion, result.champion_reason = champion, reason


def _finish(tracker: SweepTracker, result: SweepResult, objective: str) -> None:
    metrics = {f"test_{k}": v for k, v in result.test_metrics.items()}
    for name, values in result.baselines.items():
        metrics.update({f"baseline_{name}_test_{k}": v for k, v in values.items()})
    primary = result.primary_metric
    verdict = result.verdict
    tags = {VERDICT_TAG: verdict.tag()}
    tags.update({BASELINE_LABEL_TAG + n: label[:500] for n, label in
                 result.baseline_labels.items()})
    if verdict.baseline is not None:
        tags[STRONGEST_TAG] = verdict.baseline
    if result.final_model:
        tags["lstm_sweep.final_model"] = result.final_model[:500]
    if result.lift is not None:
        metrics[f"test_{primary}_lift_over_best_baseline"] = result.lift
        tags["beats_baselines"] = str(result.lift > 0).lower()
    tracker.set_sweep_tags(tags)
    if result.best.score is not None:
        metrics[f"best_{objective}"] = result.best.score
    counts = result.counts
    metrics["baselines_seconds"] = result.baseline_seconds
    metrics.update(trials_completed=counts["completed"], trials_failed=counts["failed"],
                   trials_retried=counts["retried"])
    tracker.mlflow.set_tag("best_trial", result.best.name)
    tracker.finish_sweep(metrics, result.best.values, summary_of(result))


def is_complete(parent: Any, loaded: LoadedSweep) -> bool:
    """Finished, and not asked for more trials than it had when it finished."""
    if parent.info.status != "FINISHED":
        return False
    if loaded.config.tuner.algorithm == "hyperband":
        return True
    had = parent.data.tags.get(MAX_TRIALS_TAG, "0")
    return int(had) >= loaded.config.tuner.max_trials if had.isdigit() else False


def completed_result(prep: Prepared) -> SweepResult:
    """The result of a sweep that had finished, read back from its run (nothing is trained)."""
    import tempfile
    from datetime import datetime

    tracker, parent, uri, loaded = prep.tracker, prep.parent, prep.uri, prep.loaded
    assert parent is not None  # only called for a sweep whose run was found
    with tempfile.TemporaryDirectory() as tmp, tracking_call(uri, "reading summary.json"):
        path = tracker.client.download_artifacts(parent.info.run_id, "summary.json", tmp)
        result = result_from_summary(Path(path), parent.info.run_id, display_uri(uri))
    ended = parent.info.end_time or parent.info.start_time or 0
    result.finished_at = datetime.fromtimestamp(ended / 1000).strftime("%Y-%m-%d %H:%M")
    result.notes = loaded.notes
    return result


def _supersede(tracker: SweepTracker, opening: Opening) -> None:
    """After --fresh, point the discarded sweep's run at the new one (and close it if open)."""
    previous = opening.previous
    if previous is None:
        return
    old = tracker.find_sweep(previous.sweep_id, previous.parent_run_id)
    if old is None or old.info.run_id == tracker.parent_run_id:
        return
    status = "KILLED" if old.info.status == "RUNNING" else old.info.status
    tracker.close_run(old.info.run_id, status,
                      tags={"lstm_sweep.superseded_by": str(tracker.parent_run_id)})


def _lost_message(reason: str, loaded: LoadedSweep, rerun: str) -> str:
    return (f"{reason}\nThe sweep stopped; every trial that finished is kept in "
            f"{sweep_folder(loaded)}. Once the tracking store is back, run `{rerun}` again: it "
            f"resumes where it stopped (the interrupted trial is retried).")


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
    rows, size = sweep_space(config)
    searched = "; ".join(f"{n} ({t})" for n, t in rows) or "nothing searched"
    reporter.line(f"  space: {searched}; {space_text(config, size)}")
    reporter.line(f"  tracking: {display_uri(uri)}")
    for note in loaded.notes:
        reporter.line(f"  note: {note}")
