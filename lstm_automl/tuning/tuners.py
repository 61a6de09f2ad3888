"""keras-tuner algorithms by name, each made MLflow-aware: one nested run per trial.

The trial's run opens in ``on_trial_begin`` and closes in ``on_trial_end`` (whatever happened),
and the per-epoch logger is built inside ``run_trial`` because keras-tuner deep-copies callbacks.
A lost tracking store stops the search (``TrackingLost``) instead of failing trial after trial;
running out of memory fails only the trial. Trial numbers come from keras-tuner's trial ids, so
they, and the per-trial seeds, continue unchanged when a sweep is resumed.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import keras
import keras_tuner as kt

from lstm_automl import interrupts
from lstm_automl.config.params import decode_nulls
from lstm_automl.errors import ConfigError, Recycle, TrackingError
from lstm_automl.faults import fault_point
from lstm_automl.model.backend import active_backend
from lstm_automl.model.kernel_tags import cell_label, kernel_tag
from lstm_automl.model.training import check_finite_loss
from lstm_automl.results.trial_record import TrialRecord
from lstm_automl.tracking.checkpoints import upload_trial_files, uploads_checkpoints
from lstm_automl.tracking.runs import SweepTracker, log_epochs
from lstm_automl.tracking.store import first_line
from lstm_automl.tracking.tags import BACKEND_TAG, STOPPED_TAG
from lstm_automl.tuning import _keras_tuner_private as private
from lstm_automl.tuning import oracle_controls, trial_memory
from lstm_automl.tuning.bayesian import SearchedSpaceBayesianOptimization
from lstm_automl.tuning.budgets import Budget
from lstm_automl.tuning.grid_order import OrderedGridSearch
from lstm_automl.tuning.pruning import (
    PRUNED_METRIC,
    OraclePeers,
    PruneTrial,
    Rule,
    TrialStop,
    was_pruned,
)
from lstm_automl.tuning.shared_checkpoints import fetch_trial_files, trial_files
from lstm_automl.tuning.warm_start import is_seeded

TUNERS: dict[str, type[kt.Tuner]] = {
    "random": kt.RandomSearch,
    "grid": kt.GridSearch,
    "bayesian": SearchedSpaceBayesianOptimization,  # keras-tuner's, counting searched dimensions
    "hyperband": kt.Hyperband,
}


class TrackingLost(kt.errors.FatalError, TrackingError):
    """The tracking store failed mid-trial: keras-tuner must stop, not fail the trial and go on.

    A ``TrackingError`` too, so the session's guard handles it without importing keras-tuner.
    """


class ModelFileBroken(kt.errors.FatalError, ConfigError):
    """The sweep's model file did what no trial survives (its function called ``sys.exit``):
    keras-tuner must stop, and the command exits 2 as for any unusable sweep file."""


FLUSH_SECONDS = 5.0  # per-epoch metrics reach MLflow at most this late while a trial trains


class EpochBuffer:
    """The running trial's per-epoch metrics, written to MLflow in one batch every few seconds.

    A write per epoch cost more than the epochs of small trials (a sqlite commit each). The
    first epoch is written at once (the run shows its curves from the start), later ones lag by
    at most ``every`` seconds, and ``flush`` at the end of the trial (whatever ended it) writes
    what is left.
    """

    def __init__(self, uri: str, run_id: str, every: float = FLUSH_SECONDS) -> None:
        self.uri, self.run_id, self.every = uri, run_id, every
        self.pending: list[tuple[dict[str, float], int, int]] = []
        self.written = float("-inf")

    def add(self, metrics: dict[str, float], step: int) -> None:
        self.pending.append((metrics, step, int(time.time() * 1000)))
        if time.monotonic() - self.written >= self.every:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        self.written = time.monotonic()
        try:
            log_epochs(self.uri, self.run_id, pending)
        except TrackingError as exc:
            raise TrackingLost(str(exc)) from exc


class EpochLogger(keras.callbacks.Callback):
    """Logs every epoch's metrics to the trial's run (``step`` = epoch) through its buffer.

    keras-tuner deep-copies callbacks for every execution; the copies share the buffer, so the
    trial can flush what they logged.
    """

    def __init__(self, buffer: EpochBuffer) -> None:
        super().__init__()
        self.buffer = buffer

    def __deepcopy__(self, memo: dict[int, Any]) -> EpochLogger:
        return EpochLogger(self.buffer)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        metrics = {k: float(v) for k, v in (logs or {}).items()
                   if isinstance(v, (int, float)) and math.isfinite(float(v))}
        if metrics:
            self.buffer.add(metrics, epoch)


class BestEpochInMemory(keras.callbacks.Callback):
    """keras-tuner's ``SaveBestEpoch`` with one file write per trial instead of one per
    improving epoch: the best epoch's weights are kept in memory and written when training
    ends, to the same checkpoint file (``load_model``, Hyperband and resuming read it there).

    One instance serves every execution of a trial, like the callback it replaces, so the file
    holds the best epoch over all executions.
    """

    def __init__(self, objective: Any, filepath: str) -> None:
        super().__init__()
        self.objective = objective
        self.filepath = filepath
        self.best_value = float("-inf") if objective.direction == "max" else float("inf")
        self.best_weights: list[Any] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.objective.has_value(logs):
            value = self.objective.get_value(logs)
            if not self.objective.better_than(value, self.best_value):
                return
            self.best_value = value
        self.best_weights = self.model.get_weights()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.best_weights is None:  # no better epoch in this execution: the file stands
            return
        final = self.model.get_weights()
        self.model.set_weights(self.best_weights)
        self.model.save_weights(self.filepath)
        self.model.set_weights(final)
        self.best_weights = None


class NonFiniteLoss(keras.callbacks.Callback):
    """Stops a trial whose loss became NaN or infinite, so it is reported as failed."""

    def __init__(self) -> None:
        super().__init__()
        self.bad_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.bad_epoch = epoch + 1
            self.model.stop_training = True


def trial_run_name(number: int, values: dict[str, Any]) -> str:
    """Readable run name, e.g. ``trial-007 gru x2 bi`` (``trial-007 python``: model.python)."""
    if "cell" not in values and "cell_0" not in values and "layers" not in values:
        return f"trial-{number:03d} python"
    name = f"trial-{number:03d} {cell_label(values, '?')} x{values.get('layers', '?')}"
    name += " bi" if values.get("bidirectional") else ""
    name += " conv" if values.get("conv_front") else ""
    return name + (" fcn" if values.get("fcn_branch") else "")


def active_values(hp: kt.HyperParameters) -> dict[str, Any]:
    """The values of this trial that exist (per-layer values of absent layers left out)."""
    values = {}
    for param in hp.space:
        if hp.is_active(param) and param.name in hp.values:
            values[param.name] = hp.values[param.name]
    return values


def trial_values(hp: kt.HyperParameters) -> dict[str, Any]:
    """What a trial's run shows as params: active values as the user wrote them."""
    values = decode_nulls(active_values(hp))  # the tuner's null code back to None
    # Hyperband's bookkeeping (tuner/epochs, tuner/bracket, ...) is worth a param too.
    values.update({k: v for k, v in hp.values.items() if k.startswith("tuner/")})
    return values


def trial_number(trial_id: str, fallback: int) -> int:
    """keras-tuner numbers trials "0", "1", ... (zero-padded): trial-001 is id 0."""
    return int(trial_id) + 1 if trial_id.isdigit() else fallback


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether a trial's error means the host or the accelerator ran out of memory.

    TensorFlow raises ``ResourceExhaustedError``; JAX (XLA) a runtime error whose message starts
    with ``RESOURCE_EXHAUSTED``; PyTorch ``torch.OutOfMemoryError``. Only the framework already
    imported is asked: this never imports TensorFlow into a JAX process.
    """
    if isinstance(exc, MemoryError):
        return True
    tf = sys.modules.get("tensorflow")
    errors = getattr(tf, "errors", None)
    if errors is not None and isinstance(exc, errors.ResourceExhaustedError):
        return True
    torch = sys.modules.get("torch")
    oom = getattr(torch, "OutOfMemoryError", None)
    if oom is not None and isinstance(exc, oom):
        return True
    text = str(exc)
    return type(exc).__name__ in ("XlaRuntimeError", "JaxRuntimeError") and (
        "RESOURCE_EXHAUSTED" in text or "Out of memory" in text)


class MlflowTrialsMixin(private.FencedTunerMixin):
    """Mixed in front of a keras-tuner Tuner: records each trial in MLflow and on the console."""

    tracker: SweepTracker
    on_event: Callable[[str, TrialRecord], None]
    trial_seed: int
    retried_ids: list[str] | tuple[str, ...] = ()  # interrupted trials found by reload()

    def _setup_tracking(self, tracker: SweepTracker, on_event: Callable[[str, TrialRecord], None],
                        seed: int, recycle_every: int = 0, pruning: Rule | None = None,
                        budget: Budget | None = None) -> None:
        self.pruning, self.budget = pruning, budget
        worker = private.is_worker(self)
        self._peers = OraclePeers(self.oracle, remote=worker)  # type: ignore[attr-defined]
        self._stop: TrialStop | None = None
        self.tracker = tracker
        self.on_event = on_event
        self.trial_seed = seed
        self.recycle_every = recycle_every
        self.trial_records: list[TrialRecord] = []
        self._current: TrialRecord | None = None
        self._started = 0.0
        self._epochs = 0
        self._ended_here = 0  # trials this process ran to their end
        self._gradients: set[str] = set()
        self._epoch_buffer: EpochBuffer | None = None
        self._best_epoch: dict[int, BestEpochInMemory] = {}

    def search(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().search(*args, **kwargs)  # type: ignore[misc]
        finally:
            trial_memory.thaw()  # what the sweep froze can be collected once it is over

    def on_search_begin(self) -> None:
        super().on_search_begin()  # type: ignore[misc]
        trial_memory.freeze_survivors()

    def pre_create_trial(self) -> None:
        """Between two trials: hand over to a fresh process once this one ran its share."""
        super().pre_create_trial()  # type: ignore[misc]
        if self.recycle_every and self._ended_here >= self.recycle_every and self._more_to_run():
            raise Recycle(self._ended_here)

    def _more_to_run(self) -> bool:
        """False when the oracle would stop anyway (a worker's oracle is remote: assume more)."""
        oracle = self.oracle  # type: ignore[attr-defined]
        if private.has_queued_retries(oracle):
            return True
        max_trials = getattr(oracle, "max_trials", None)
        trials = getattr(oracle, "trials", None)
        return not (max_trials and trials is not None and len(trials) >= max_trials)

    def before_build(self) -> None:
        """One cheap collection instead of keras-tuner's two full ones."""
        trial_memory.clear_between_trials()

    def fit_callbacks(self, callbacks: list[Any]) -> list[Any]:
        return [self._in_memory(cb) for cb in callbacks]

    def _in_memory(self, callback: Any) -> Any:
        """keras-tuner's per-epoch checkpoint writer, swapped for one write per trial."""
        target = private.best_epoch_checkpoint(callback)
        if target is None:
            return callback
        if id(callback) not in self._best_epoch:
            self._best_epoch[id(callback)] = BestEpochInMemory(*target)
        return self._best_epoch[id(callback)]

    def on_trial_begin(self, trial: kt.engine.trial.Trial) -> None:
        interrupts.stop_if_interrupted()
        super().on_trial_begin(trial)  # type: ignore[misc]
        self._gradients = trial_memory.custom_gradients()
        number = trial_number(trial.trial_id, len(self.trial_records) + 1)
        # Same seed and config → same initial weights and shuffling for the same trial number
        # (a retried trial included).
        keras.utils.set_random_seed(self.trial_seed + number)
        values = trial_values(trial.hyperparameters)
        record = TrialRecord(number=number, trial_id=trial.trial_id, run_id="",
                             name=trial_run_name(number, values), values=values)
        record.attempt = len(self.tracker.trial_runs(trial.trial_id)) + 1
        tags = {"cell": cell_label(values), "layers": str(values.get("layers")),  # cell: lstm/gru
                "bidirectional": str(bool(values.get("bidirectional"))).lower(),
                "kernel": kernel_tag(values, self._masked()),  # cudnn, generic or cpu
                BACKEND_TAG: active_backend()}
        record.run_id = self.tracker.start_trial(record, tags)
        self.trial_records.append(record)
        self._current = record
        self._started = time.perf_counter()
        self.on_event("begin", record)

    def _masked(self) -> bool:
        """Whether the models get a padding mask (which keeps them off cuDNN on JAX)."""
        shape = getattr(getattr(self, "hypermodel", None), "shape", None)
        return bool(getattr(shape, "masked", False))

    def run_trial(self, trial: kt.engine.trial.Trial, *args: Any, **kwargs: Any) -> Any:
        assert self._current is not None
        fault_point(f"trial:{trial.trial_id}")  # fault tests only (lstm_automl/faults.py)
        buffer = self._epoch_buffer = EpochBuffer(self.tracker.uri, self._current.run_id)
        self._best_epoch = {}
        kwargs["callbacks"] = [*kwargs.get("callbacks", []), EpochLogger(buffer), NonFiniteLoss(),
                               *self._stoppers(trial), interrupts.stop_on_request()]
        try:
            with interrupts.deferred():  # a Ctrl-C stops training between batches
                histories = super().run_trial(trial, *args, **kwargs)  # type: ignore[misc]
        except ConfigError as exc:
            raise ModelFileBroken(exc.source, exc.problems) from None
        except Exception as exc:
            if interrupts.requested():  # a Ctrl-C that surfaced as another error
                raise KeyboardInterrupt from exc
            if not is_out_of_memory(exc):
                raise
            raise kt.errors.FailedTrialError(
                f"out of memory: {first_line(exc)[:300]} (try smaller units, layers or "
                f"batch_size)") from exc
        finally:
            self._flush_epochs()
            self._best_epoch = {}
        interrupts.stop_if_interrupted()
        self._epochs = max((len(h.history.get("loss", [])) for h in histories
                            if hasattr(h, "history")), default=0)
        for history in histories:
            check_finite_loss(history)
        if self._stop is not None and self._stop.pruned is not None:  # the oracle keeps it
            self.oracle.update_trial(  # type: ignore[attr-defined]
                trial.trial_id, {PRUNED_METRIC: float(self._stop.pruned.epoch)}, step=0)
        return histories

    def _stoppers(self, trial: kt.engine.trial.Trial) -> list[keras.callbacks.Callback]:
        """The callbacks that may end this trial early: pruning, time limits, the target."""
        stop = self._stop = TrialStop()
        stoppers: list[keras.callbacks.Callback] = []
        oracle = self.oracle  # type: ignore[attr-defined]
        if self.pruning is not None:
            def report(metrics: dict[str, float], step: int) -> None:
                oracle.update_trial(trial.trial_id, metrics, step=step)

            stoppers.append(PruneTrial(self.pruning, oracle.objective.name, trial.trial_id,
                                       report, self._peers, stop))
        if self.budget is not None:
            stoppers += self.budget.trial_stoppers(stop, oracle.objective.name)
        return stoppers

    def _stopped(self, record: TrialRecord) -> None:
        """A completed trial that a stopper ended: PRUNED, or noted as cut by a time limit."""
        stop, self._stop = self._stop, None
        if stop is None or record.status != "COMPLETED":
            return
        if stop.pruned is not None:
            record.status = "PRUNED"
            objective = self.oracle.objective.name  # type: ignore[attr-defined]
            record.stopped = stop.pruned.sentence(objective)
        else:
            record.stopped = stop.reason

    def _flush_epochs(self) -> None:
        """Write the buffered epochs; while another error is on its way out, only try."""
        buffer, self._epoch_buffer = self._epoch_buffer, None
        if buffer is None:
            return
        if sys.exc_info()[1] is None:
            buffer.flush()
            return
        with contextlib.suppress(Exception):
            buffer.flush()

    def on_trial_end(self, trial: kt.engine.trial.Trial) -> None:
        record = self._current
        try:
            super().on_trial_end(trial)  # type: ignore[misc]
        finally:
            trial_memory.forget_custom_gradients(self._gradients)
            self._flush_epochs()
            if record is not None:
                self._ended_here += 1
                # The oracle has the final status and score; the message only exists here in
                # distributed mode (keras-tuner's gRPC trial has no message field).
                ended = self.oracle.get_trial(trial.trial_id)  # type: ignore[attr-defined]
                record.status = str(ended.status)
                score = ended.score
                record.score = float(score) if score is not None else None
                record.seconds = time.perf_counter() - self._started
                record.epochs = self._epochs
                record.message = ended.message or trial.message
                self._stopped(record)
                self._current = None
                self._epochs = 0
                self._upload_checkpoint(trial.trial_id, record)
                self.tracker.end_trial(record, self.oracle.objective.name)  # type: ignore[attr-defined]
                self.on_event("end", record)

    def _upload_checkpoint(self, trial_id: str, record: TrialRecord) -> None:
        """A worker whose folder the chief cannot read (``run --ray``) sends the trial's
        checkpoint files to its run, where the chief finds them (tracking/checkpoints.py)."""
        if not uploads_checkpoints() or record.score is None:
            return
        paths = [path for path in trial_files(self, trial_id) if path.exists()]
        if paths:
            upload_trial_files(self.tracker.client, self.tracker.uri, record.run_id, paths)

    def before_continuing(self, trial_id: str) -> None:
        """A Hyperband trial goes on from ``trial_id``'s checkpoint, which another worker may
        have written in its own folder: fetch it from that trial's run."""
        if uploads_checkpoints():
            fetch_trial_files(self, self.tracker, [trial_id])

    def reload(self) -> None:
        """Reload keras-tuner's state, then make sure interrupted trials (only) are retried and
        a grid search goes on with its untried combinations."""
        super().reload()  # type: ignore[misc]
        if not private.is_worker(self):
            oracle = self.oracle  # type: ignore[attr-defined]
            self.retried_ids = private.repair_reloaded_oracle(oracle)
            private.rebuild_grid_walk(oracle)
            private.count_failures_from_now(oracle)


def sweep_records(oracle: Any, runs: list[Any], session: list[TrialRecord]) -> list[TrialRecord]:
    """Every trial that ended, earlier sessions included, in trial order.

    The oracle knows results, MLflow knows runs (name, epochs, time, attempts); the records of
    this session are taken as they are.
    """
    mine = {record.trial_id: record for record in session}
    grouped: dict[str, list[Any]] = {}
    for run in runs:
        grouped.setdefault(run.data.tags.get("trial_id", ""), []).append(run)
    records = []
    for tid in sorted(oracle.trials, key=lambda t: (not t.isdigit(), int(t) if t.isdigit() else 0,
                                                    t)):
        trial = oracle.trials[tid]
        status = str(trial.status)
        if status not in ("COMPLETED", "FAILED") or is_seeded(trial):  # seeded: another sweep's
            continue
        if status == "COMPLETED" and was_pruned(trial) is not None:
            status = "PRUNED"
        if tid in mine:
            records.append(mine[tid])
            continue
        tried = sorted(grouped.get(tid, []), key=lambda r: r.info.start_time or 0)
        wanted = "FAILED" if status == "FAILED" else "FINISHED"
        final = next((r for r in reversed(tried) if r.info.status == wanted),
                     tried[-1] if tried else None)
        values = trial_values(trial.hyperparameters)
        number = trial_number(tid, len(records) + 1)
        metrics = final.data.metrics if final is not None else {}
        records.append(TrialRecord(
            number=number, trial_id=tid, run_id=final.info.run_id if final else "",
            name=final.info.run_name if final else trial_run_name(number, values),
            values=values, status=status,
            score=float(trial.score) if trial.score is not None else None,
            epochs=int(metrics.get("epochs_trained", 0)),
            seconds=float(metrics.get("trial_seconds", 0.0)), message=trial.message,
            attempt=max(1, len(tried)),
            stopped=final.data.tags.get(STOPPED_TAG) if final is not None else None))
    return records


def make_tuner(algorithm: str, print_tracebacks: bool = False, **kwargs: Any) -> kt.Tuner:
    """Instantiate the MLflow-aware subclass of the named keras-tuner algorithm.

    keras-tuner prints the traceback of every failed trial to stderr by default; the reason goes
    to the console in one line and the traceback to the trial's run instead, unless debugging.
    """
    private.set_debug(print_tracebacks)
    base = TUNERS[algorithm]
    if algorithm == "grid" and kwargs.get("grid_order", "sequential") != "sequential":
        base = OrderedGridSearch
    else:
        kwargs.pop("grid_order", None)
    tracked = type(f"Tracked{base.__name__}", (MlflowTrialsMixin, base), {})
    tracker = kwargs.pop("tracker")
    on_event = kwargs.pop("on_event")
    recycle_every = kwargs.pop("recycle_every", 0)
    pruning, budget = kwargs.pop("pruning", None), kwargs.pop("budget", None)
    start_with = kwargs.pop("start_with", None) or []
    seed = kwargs["seed"]
    tuner = tracked(**kwargs)
    tuner._setup_tracking(tracker, on_event, seed, recycle_every, pruning, budget)
    if not private.is_worker(tuner):  # a worker's oracle is the chief's, which has these already
        oracle_controls.install(tuner.oracle, algorithm, budget, start_with)
    return tuner
