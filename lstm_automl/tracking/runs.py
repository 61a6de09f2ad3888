"""MLflow runs: the sweep's parent run, one nested run per trial, and their epoch metrics.

Trial runs go through an explicit ``MlflowClient(uri)``, never MLflow's global state, so a
worker can attach trials to a sweep run another process opened.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from collections.abc import Iterator
from typing import Any

from lstm_automl.results.trial_record import SCORED, TrialRecord, failure_reason
from lstm_automl.tracking.store import artifact_location, fast_fail, tracking_call
from lstm_automl.tracking.tags import (
    ATTEMPT_TAG,
    FAILURE_TAG,
    KIND_TAG,
    PARENT_TAG,
    STATUS_TAG,
    STOPPED_TAG,
    SWEEP_ID_TAG,
    TRIAL_ID_TAG,
    TRIAL_NUMBER_TAG,
    TUNER_ID_TAG,
)

__all__ = ["SweepTracker", "latest_sweep_run", "log_epochs", "named_experiment_ids",
           "signals_held", "sweep_runs"]


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the block; they are delivered (and raise) right after it."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # Read the mask first: pthread_sigmask runs pending Python handlers after it changes the
    # mask, so the blocking call itself may raise (a second Ctrl-C) with the signals blocked.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def sweep_runs(client: Any, experiment_ids: list[str], where: str = "",
               limit: int = 1) -> list[Any]:
    """Sweep runs (tag ``lstm_sweep.kind`` = sweep) of these experiments that match ``where``
    (an MLflow filter), newest first: the one query resume, workers and reports find one by."""
    if not experiment_ids:
        return []
    query = f"tags.`{KIND_TAG}` = 'sweep'" + (f" and {where}" if where else "")
    return list(client.search_runs(experiment_ids, filter_string=query, max_results=limit,
                                   order_by=["attributes.start_time DESC"]))


def latest_sweep_run(client: Any, experiment_ids: list[str], where: str = "") -> Any | None:
    """The newest sweep run that matches ``where`` (see ``sweep_runs``), or None."""
    runs = sweep_runs(client, experiment_ids, where)
    return runs[0] if runs else None


def named_experiment_ids(client: Any, name: str) -> list[str]:
    """The id of the experiment called ``name`` as a list, empty when there is none."""
    experiment = client.get_experiment_by_name(name)
    return [] if experiment is None else [experiment.experiment_id]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class SweepTracker:
    """Owns the parent run of one sweep and opens and closes its trial runs.

    Trial runs are made with the client (not MLflow's stack of active runs), so a worker
    process can attach its trials to a sweep run opened by another process, and an interrupted
    trial's run can be closed without touching the sweep's.
    """

    def __init__(self, uri: str, experiment: str, artifact_root: str | None = None) -> None:
        import mlflow

        self.mlflow = mlflow
        self.uri = uri
        self.experiment = experiment
        # Where a new experiment keeps artifacts (beside a sqlite store, even behind a server).
        self.artifact_root = artifact_root or artifact_location(uri, experiment)
        self.parent_run_id: str | None = None
        self.experiment_id: str | None = None
        self.open_trial_run_id: str | None = None
        self.tuner_id: str | None = None  # set in distributed mode, tagged on trial runs
        mlflow.set_tracking_uri(uri)

    @property
    def client(self) -> Any:
        return self.mlflow.MlflowClient(self.uri)

    # --- the sweep run ---------------------------------------------------------------------
    def find_sweep(self, sweep_id: str, run_id: str | None = None) -> Any | None:
        """The sweep run of the sweep folder ``sweep_id`` (by remembered id, else by tag)."""
        client = self.client
        with tracking_call(self.uri, "looking for the sweep's run"):
            if run_id:
                try:
                    run = client.get_run(run_id)
                except self.mlflow.exceptions.MlflowException:
                    run = None
                if (run is not None and run.info.lifecycle_stage == "active"
                        and run.data.tags.get(SWEEP_ID_TAG) == sweep_id):
                    return run
            return latest_sweep_run(client, named_experiment_ids(client, self.experiment),
                                    f"tags.`{SWEEP_ID_TAG}` = '{sweep_id}'")

    def start_sweep(self, name: str, params: dict[str, Any], tags: dict[str, str],
                    sweep_text: str, space_text: str, attach: Any | None = None) -> str:
        """Open the sweep run: a new one, or ``attach`` (an existing run) when resuming."""
        with tracking_call(self.uri, "opening the sweep's run"):
            return self._start_sweep(name, params, tags, sweep_text, space_text, attach)

    def _start_sweep(self, name: str, params: dict[str, Any], tags: dict[str, str],
                     sweep_text: str, space_text: str, attach: Any | None) -> str:
        mlflow = self.mlflow
        mlflow.set_tracking_uri(self.uri)
        if attach is not None:
            self.experiment_id = attach.info.experiment_id
            run = mlflow.start_run(run_id=attach.info.run_id)
            # Params cannot change in MLflow; a changed max_trials is kept in a tag instead.
            params = {k: v for k, v in params.items() if k not in attach.data.params}
        else:
            self.experiment_id = self._experiment_id()
            run = mlflow.start_run(experiment_id=self.experiment_id, run_name=f"sweep {name}",
                                   tags={KIND_TAG: "sweep", **tags})
        self.parent_run_id = run.info.run_id
        mlflow.set_tags(tags)
        if params:
            mlflow.log_params({k: _clean(v) for k, v in params.items()})
        mlflow.log_text(sweep_text, "sweep.yaml")
        mlflow.log_text(space_text, "search_space.txt")
        return self.parent_run_id

    def _experiment_id(self) -> str:
        client = self.client
        existing = client.get_experiment_by_name(self.experiment)
        if existing is not None:
            return str(existing.experiment_id)
        return str(client.create_experiment(self.experiment, artifact_location=self.artifact_root))

    def attach(self, parent_run_id: str) -> None:
        """Log trials under a sweep run another process opened (a worker, see workers.py)."""
        with tracking_call(self.uri, "reading the sweep's run"):
            run = self.client.get_run(parent_run_id)
        self.parent_run_id = parent_run_id
        self.experiment_id = run.info.experiment_id

    def set_sweep_tags(self, tags: dict[str, str]) -> None:
        with tracking_call(self.uri, "tagging the sweep's run"):
            for key, value in tags.items():
                self.client.set_tag(self.parent_run_id, key, value)

    def close_run(self, run_id: str, status: str, tags: dict[str, str] | None = None,
                  metrics: dict[str, float] | None = None) -> None:
        """Tag and terminate any run (an orphaned trial, a superseded sweep)."""
        from mlflow.entities import RunTag

        client = self.client
        with tracking_call(self.uri, f"closing run {run_id}"):
            # One batch, not a write (a sqlite commit, an HTTP call) per tag and metric.
            stamp = _now_ms()
            batch = [_metric(name, number, 0, stamp) for name, number in (metrics or {}).items()
                     if math.isfinite(number)]
            entries = [RunTag(key, str(value)) for key, value in (tags or {}).items()]
            if batch or entries:
                client.log_batch(run_id, metrics=batch, tags=entries)
            client.set_terminated(run_id, status)

    # --- trial runs -------------------------------------------------------------------------
    def trial_runs(self, trial_id: str | None = None) -> list[Any]:
        """Every run nested under the sweep run (of one trial when ``trial_id`` is given)."""
        where = f"tags.`{PARENT_TAG}` = '{self.parent_run_id}'"
        if trial_id is not None:
            where += f" and tags.{TRIAL_ID_TAG} = '{trial_id}'"
        runs: list[Any] = []
        token = None
        with tracking_call(self.uri, "listing the trial runs"):
            while True:
                page = self.client.search_runs([self.experiment_id], filter_string=where,
                                               max_results=1000, page_token=token)
                runs.extend(page)
                token = page.token
                if not token:
                    return runs

    def start_trial(self, record: TrialRecord, tags: dict[str, str]) -> str:
        from mlflow.entities import Param
        from mlflow.tracking.context import registry

        all_tags = {KIND_TAG: "trial", TRIAL_ID_TAG: record.trial_id,
                    TRIAL_NUMBER_TAG: str(record.number), ATTEMPT_TAG: str(record.attempt),
                    PARENT_TAG: str(self.parent_run_id), **tags}
        if self.tuner_id:
            all_tags[TUNER_ID_TAG] = self.tuner_id
        with tracking_call(self.uri, f"opening the run of {record.name}"):
            client = self.client
            run = client.create_run(self.experiment_id, run_name=record.name,
                                    tags=registry.resolve_tags(all_tags))
            run_id = run.info.run_id
            self.open_trial_run_id = run_id
            client.log_batch(run_id, params=[Param(k, str(_clean(v)))
                                             for k, v in record.values.items()])
        return str(run_id)

    def end_trial(self, record: TrialRecord, objective: str) -> None:
        metrics = {"epochs_trained": float(record.epochs), "trial_seconds": record.seconds}
        if record.score is not None and math.isfinite(record.score):
            metrics[f"best_{objective}"] = record.score
        tags = {STATUS_TAG: record.status.lower()}
        if record.stopped:
            tags[STOPPED_TAG] = record.stopped[:500]
        with tracking_call(self.uri, f"closing the run of {record.name}"):
            client = self.client
            if record.message:
                tags[FAILURE_TAG] = failure_reason(record.message)[:500]
                client.log_text(record.run_id, record.message, "failure.txt")
            self.close_run(record.run_id,
                           "FINISHED" if record.status in SCORED else "FAILED",
                           tags=tags, metrics=metrics)
        self.open_trial_run_id = None

    # --- the end ----------------------------------------------------------------------------
    def log_text(self, text: str, name: str) -> None:
        """A text artifact on the sweep run (the effective config after --set, for example)."""
        self.client.log_text(self.parent_run_id, text, name)

    def log_table(self, header: list[str], rows: list[list[Any]], name: str) -> None:
        """A CSV artifact on the sweep run (the champion's test predictions, for example)."""
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        self.mlflow.log_text(buffer.getvalue(), name)

    def log_arrays(self, arrays: dict[str, Any], name: str) -> None:
        """A NumPy ``.npz`` artifact on the sweep run (the blend's member forecasts)."""
        import tempfile
        from pathlib import Path

        import numpy as np

        with tempfile.TemporaryDirectory(prefix="lstm-sweep-arrays-") as tmp:
            path = Path(tmp) / Path(name).name
            np.savez_compressed(path, **arrays)
            folder = str(Path(name).parent)
            self.client.log_artifact(self.parent_run_id, str(path),
                                     None if folder == "." else folder)

    def finish_sweep(self, metrics: dict[str, float], params: dict[str, Any],
                     summary: dict[str, Any], status: str = "FINISHED") -> None:
        mlflow = self.mlflow
        if metrics:
            mlflow.log_metrics({k: v for k, v in metrics.items() if math.isfinite(v)},
                               run_id=self.parent_run_id)
        if params:
            # A resumed sweep that found a better trial cannot overwrite params: the tag
            # ``best_trial`` and summary.json always name the final best.
            logged = self.client.get_run(self.parent_run_id).data.params
            fresh = {f"best.{k}": _clean(v) for k, v in params.items()
                     if f"best.{k}" not in logged}
            if fresh:
                mlflow.log_params(fresh)
        mlflow.log_text(json.dumps(summary, indent=2, default=str), "summary.json")
        mlflow.end_run(status=status)

    def abort(self, status: str = "FAILED", reason: str = "") -> None:
        """Close what this process left open (its trial's run, then the sweep's), best effort.

        Runs after an interruption or a lost store, so it tries once and never raises; a second
        Ctrl-C or SIGTERM waits until it is done (it would leave the runs open).
        """
        with fast_fail(), signals_held():
            if self.open_trial_run_id is not None:
                tags = {STATUS_TAG: "interrupted" if status == "KILLED" else "failed"}
                if reason:
                    tags[FAILURE_TAG] = reason[:500]
                with contextlib.suppress(Exception):
                    self.close_run(self.open_trial_run_id, status, tags=tags)
                self.open_trial_run_id = None
            while self.mlflow.active_run() is not None:
                with contextlib.suppress(Exception):  # end_run pops the run before it calls out
                    self.mlflow.end_run(status=status)


def log_epochs(uri: str, run_id: str, epochs: list[tuple[dict[str, float], int, int]]) -> None:
    """Several epochs' metrics ``(metrics, step, timestamp ms)`` in as few writes as MLflow
    allows (1000 metrics per batch), as a TrackingError if the store is gone."""
    import mlflow

    metrics = [_metric(k, v, step, stamp) for values, step, stamp in epochs
               for k, v in values.items()]
    if not metrics:
        return
    first, last = epochs[0][1] + 1, epochs[-1][1] + 1
    what = f"logging epoch {last}" if first == last else f"logging epochs {first}-{last}"
    with tracking_call(uri, what):
        client = mlflow.MlflowClient(uri)
        for start in range(0, len(metrics), METRICS_PER_BATCH):
            client.log_batch(run_id, metrics=metrics[start:start + METRICS_PER_BATCH])


METRICS_PER_BATCH = 1000  # MLflow's limit for one log_batch call


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)


def _metric(key: str, value: float, step: int, stamp: int | None = None) -> Any:
    from mlflow.entities import Metric

    return Metric(key, value, _now_ms() if stamp is None else stamp, step)


