"""Step 3 of a sweep: keras-tuner searches, one MLflow run per trial (tuning/tuners.py).

Keras and keras-tuner are imported here, not before: every check of step 1 runs without them.
A resumed sweep first closes what the interruption left open in MLflow (resume/recovery.py).
"""

from __future__ import annotations

import contextlib
import io
from typing import TYPE_CHECKING, Any

from lstm_automl.config.names import extra_metrics
from lstm_automl.console import VERBOSE, Reporter
from lstm_automl.errors import SweepError
from lstm_automl.results.trial_record import SCORED, TrialRecord, failures_text, last_failure
from lstm_automl.resume.recovery import OracleTrial, reconcile
from lstm_automl.resume.state_folder import tuner_directory
from lstm_automl.tuning._keras_tuner_private import is_worker

if TYPE_CHECKING:
    from lstm_automl.session.prepare import Prepared

__all__ = ["consecutive_failures_error", "make_sweep_tuner", "recover", "search",
           "search_arguments", "seed_everything"]


def search(prep: Prepared, reporter: Reporter) -> tuple[Any, list[TrialRecord]]:
    """Run (or go on with) the search in this process; the tuner and every trial's record.

    Args:
        prep: the prepared sweep (step 1) whose run is open (step 2).
        reporter: the console trials are printed to.

    Returns:
        The tuner and one record per trial of the sweep, earlier processes' included.
    """
    from lstm_automl.session.options import say_why_stopped  # defers keras
    from lstm_automl.tuning.tuners import sweep_records  # defers keras, keras_tuner

    seed_everything(prep)
    tuner = make_sweep_tuner(prep, reporter)
    if prep.resumed:
        recover(tuner, prep, reporter, quiet=prep.continues)
    args, kwargs = search_arguments(prep, reporter)
    try:
        tuner.search(*args, **kwargs)
    except RuntimeError as exc:
        if "consecutive failures" not in str(exc).lower():
            raise
        raise consecutive_failures_error(prep, tuner) from None
    say_why_stopped(tuner, reporter)
    return tuner, sweep_records(tuner.oracle, prep.tracker.trial_runs(), tuner.trial_records)


def seed_everything(prep: Prepared) -> None:
    """The config's seed fixes Python's, NumPy's and the backend's random state."""
    import keras

    keras.utils.set_random_seed(prep.plan.seed)


def make_sweep_tuner(prep: Prepared, reporter: Reporter) -> Any:
    """The MLflow-aware tuner, reloading the sweep's state from its folder when there is one.

    In a worker process (keras-tuner's KERASTUNER_* variables set) its oracle is the chief's.
    """
    import keras_tuner as kt

    # defers keras, keras_tuner
    from lstm_automl.model.hypermodel import SweepHyperModel, resolve_jit
    from lstm_automl.session import options as sweep_options  # defers keras
    from lstm_automl.tuning.tuners import make_tuner  # defers keras, keras_tuner

    plan, data = prep.plan, prep.data
    if plan.mixed_precision:
        import keras

        keras.mixed_precision.set_global_policy("mixed_float16")  # heads stay float32
    work = len(data.splits["train"].x) * data.model_shape().steps * plan.max_epochs
    model_builder = SweepHyperModel(
        dict(plan.specs), data.model_shape(), plan.seed, variants=prep.variants,
        jit_compile=resolve_jit(plan.jit_compile, work), python=prep.python,
        metrics=extra_metrics(data.task, plan.objective, plan.monitor),
        training=dict(plan.trial_settings), train_size=len(data.splits["train"].x),
        epochs=plan.max_epochs)
    options = sweep_options.tuner_options(prep, reporter)  # pruning, budgets, start_with
    progress = options.pop("progress")
    common: dict[str, Any] = dict(
        hypermodel=model_builder,
        objective=kt.Objective(plan.objective, direction=plan.direction),
        executions_per_trial=plan.executions_per_trial,
        seed=plan.seed,
        directory=str(tuner_directory(prep.loaded)),
        project_name=plan.name,
        overwrite=False,  # resume/state_folder.py already discarded what must not be resumed
        max_consecutive_failed_trials=plan.max_consecutive_failures,
        tracker=prep.tracker,
        recycle_every=plan.recycle_every if prep.segment is not None else 0,
        **options, **plan.tuner_arguments(),
    )
    with contextlib.redirect_stdout(io.StringIO()):  # keras-tuner's "Reloading Tuner from ..."
        tuner = make_tuner(plan.algorithm, print_tracebacks=reporter.debug, **common)
    if plan.algorithm != "hyperband" and not is_worker(tuner):
        tuner.oracle.max_trials = plan.max_trials  # a raised max_trials is allowed
    sweep_options.warm_start(tuner, prep, reporter)  # tuner.warm_start: seeded, never trained
    sweep_options.follow_progress(tuner, progress, prep)
    tuner.save()  # from now on a kill always leaves state that reloads
    return tuner


def search_arguments(prep: Prepared, reporter: Reporter) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """What ``tuner.search`` gets: the training split, validation data, epochs, callbacks."""
    import keras

    plan, data = prep.plan, prep.data
    callbacks = []
    if plan.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=plan.monitor, mode=plan.monitor_direction, min_delta=plan.min_delta,
            patience=plan.early_stopping_patience, restore_best_weights=True))
    train, val = data.splits["train"], data.splits["validation"]
    kwargs = dict(validation_data=(val.x, val.y), epochs=plan.max_epochs,
                  callbacks=callbacks, verbose=2 if reporter.verbosity >= VERBOSE else 0,
                  shuffle=plan.shuffle, **data.fit_kwargs())
    return (train.x, train.y), kwargs


def recover(tuner: Any, prep: Prepared, reporter: Reporter, quiet: bool = False) -> None:
    """Close what the interruption left open in MLflow and say where the sweep stands
    (``quiet``: a recycled process goes on silently, as if it were the same one)."""
    from lstm_automl.tuning.tuners import sweep_records, trial_number  # defers keras, keras_tuner

    oracle, tracker = tuner.oracle, prep.tracker
    trials = {tid: OracleTrial(str(t.status), t.score, t.message)
              for tid, t in oracle.trials.items()}
    fixed = reconcile(tracker, trials, oracle.objective.name)
    ended = sweep_records(oracle, tracker.trial_runs(), [])
    completed = [r for r in ended if r.status in SCORED and r.score is not None]
    sign = 1.0 if reporter.minimise else -1.0
    if completed:  # the console's "best so far" goes on from the earlier sessions
        reporter.best = min(completed, key=lambda r: sign * float(r.score or 0.0))
    retried = ", ".join(f"trial-{trial_number(t, 0):03d}" for t in tuner.retried_ids)
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


def consecutive_failures_error(prep: Prepared, tuner: Any) -> SweepError:
    """keras-tuner stopped after too many failures in a row; when no trial ever completed,
    say so first (the model or the data cannot work, whatever the tuner tries)."""
    in_a_row = prep.plan.max_consecutive_failures
    stopped = f"stopped after {in_a_row} failed trials in a row (tuner.max_consecutive_failures)"
    records = getattr(tuner, "trial_records", [])
    statuses = [str(t.status) for t in getattr(tuner.oracle, "trials", {}).values()]
    if "COMPLETED" in statuses:
        return SweepError(f"{stopped}; last failure: {last_failure(records)}")
    ran = statuses.count("FAILED")
    return SweepError(f"every trial failed ({ran} ran; {stopped}); {failures_text(records)}")
