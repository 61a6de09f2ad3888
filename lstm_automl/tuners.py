"""keras-tuner algorithms by name, each made MLflow-aware: one nested run per trial.

The trial's run opens in ``on_trial_begin`` and closes in ``on_trial_end`` (whatever happened),
and the per-epoch logger is built inside ``run_trial`` because keras-tuner deep-copies callbacks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import keras
import keras_tuner as kt

from lstm_automl.tracking import SweepTracker, TrialRecord

TUNERS: dict[str, type[kt.Tuner]] = {
    "random": kt.RandomSearch,
    "grid": kt.GridSearch,
    "bayesian": kt.BayesianOptimization,
    "hyperband": kt.Hyperband,
}


class EpochLogger(keras.callbacks.Callback):
    """Logs every epoch's metrics to one MLflow run (``step`` = epoch); holds only ids."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.epochs = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        import mlflow

        self.epochs = epoch + 1
        metrics = {k: float(v) for k, v in (logs or {}).items()
                   if isinstance(v, (int, float)) and math.isfinite(float(v))}
        if metrics:
            mlflow.log_metrics(metrics, step=epoch, run_id=self.run_id)


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
    """Readable run name, e.g. ``trial-007 gru x2 bi``."""
    name = f"trial-{number:03d} {values.get('cell', '?')} x{values.get('layers', '?')}"
    name += " bi" if values.get("bidirectional") else ""
    return name + (" conv" if values.get("conv_front") else "")


def active_values(hp: kt.HyperParameters) -> dict[str, Any]:
    """The values of this trial that exist (per-layer values of absent layers left out)."""
    values = {}
    for param in hp.space:
        if hp.is_active(param) and param.name in hp.values:
            values[param.name] = hp.values[param.name]
    return values


class MlflowTrialsMixin:
    """Mixed in front of a keras-tuner Tuner: records each trial in MLflow and on the console."""

    tracker: SweepTracker
    on_event: Callable[[str, TrialRecord], None]
    trial_seed: int

    def _setup_tracking(self, tracker: SweepTracker, on_event: Callable[[str, TrialRecord], None],
                        seed: int) -> None:
        self.tracker = tracker
        self.on_event = on_event
        self.trial_seed = seed
        self.trial_records: list[TrialRecord] = []
        self._current: TrialRecord | None = None
        self._started = 0.0
        self._epochs = 0

    def on_trial_begin(self, trial: kt.engine.trial.Trial) -> None:
        super().on_trial_begin(trial)  # type: ignore[misc]
        number = len(self.trial_records) + 1
        # Same seed and config → same initial weights and shuffling for the same trial number.
        keras.utils.set_random_seed(self.trial_seed + number)
        hp = trial.hyperparameters
        values = active_values(hp)
        # hp values carry the null code for nullables; the run shows what the user wrote.
        if "clipnorm" in values and values["clipnorm"] == 0.0:
            values["clipnorm"] = None
        # Hyperband's bookkeeping (tuner/epochs, tuner/bracket, ...) is worth a param too.
        values.update({k: v for k, v in hp.values.items() if k.startswith("tuner/")})
        record = TrialRecord(number=number, trial_id=trial.trial_id, run_id="",
                             name=trial_run_name(number, values), values=values)
        tags = {"cell": str(values.get("cell")), "layers": str(values.get("layers")),
                "bidirectional": str(bool(values.get("bidirectional"))).lower()}
        record.run_id = self.tracker.start_trial(record, tags)
        self.trial_records.append(record)
        self._current = record
        self._started = time.perf_counter()
        self.on_event("begin", record)

    def run_trial(self, trial: kt.engine.trial.Trial, *args: Any, **kwargs: Any) -> Any:
        assert self._current is not None
        guard = NonFiniteLoss()
        logger = EpochLogger(self._current.run_id)
        kwargs["callbacks"] = [*kwargs.get("callbacks", []), logger, guard]
        histories = super().run_trial(trial, *args, **kwargs)  # type: ignore[misc]
        self._epochs = max((len(h.history.get("loss", [])) for h in histories
                            if hasattr(h, "history")), default=0)
        for history in histories:
            losses = getattr(history, "history", {}).get("loss", [])
            bad = [i + 1 for i, v in enumerate(losses) if not math.isfinite(float(v))]
            if bad:
                raise kt.errors.FailedTrialError(
                    f"loss became NaN or infinite at epoch {bad[0]} (try a lower learning rate "
                    f"or gradient clipping)"
                )
        return histories

    def on_trial_end(self, trial: kt.engine.trial.Trial) -> None:
        record = self._current
        try:
            super().on_trial_end(trial)  # type: ignore[misc]
        finally:
            if record is not None:
                ended = self.oracle.trials[trial.trial_id]  # type: ignore[attr-defined]
                record.status = str(ended.status)
                score = ended.score
                record.score = float(score) if score is not None else None
                record.seconds = time.perf_counter() - self._started
                record.epochs = self._epochs
                record.message = ended.message
                self.tracker.end_trial(record, self.oracle.objective.name)  # type: ignore[attr-defined]
                self._current = None
                self._epochs = 0
                self.on_event("end", record)


def make_tuner(algorithm: str, print_tracebacks: bool = False, **kwargs: Any) -> kt.Tuner:
    """Instantiate the MLflow-aware subclass of the named keras-tuner algorithm.

    keras-tuner prints the traceback of every failed trial to stderr by default; the reason goes
    to the console in one line and the traceback to the trial's run instead, unless debugging.
    """
    from keras_tuner.src import config as kt_config

    kt_config.DEBUG = print_tracebacks
    base = TUNERS[algorithm]
    tracked = type(f"Tracked{base.__name__}", (MlflowTrialsMixin, base), {})
    tracker = kwargs.pop("tracker")
    on_event = kwargs.pop("on_event")
    seed = kwargs["seed"]
    tuner = tracked(**kwargs)
    tuner._setup_tracking(tracker, on_event, seed)
    return tuner
