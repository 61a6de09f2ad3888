"""Read a finished (or running) sweep back from the tracking store, through MlflowClient only.

Only client calls are used, so the same code reads a local sqlite store and a remote
``mlflow server``; nothing here imports TensorFlow, and nothing is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstm_automl.config.names import direction
from lstm_automl.errors import SweepLookupError, TrackingError
from lstm_automl.tracking.runs import latest_sweep_run, named_experiment_ids, sweep_runs
from lstm_automl.tracking.store import disable_telemetry, resolve_tracking_uri, sqlite_path
from lstm_automl.tracking.tags import ATTEMPT_TAG, KIND_TAG, PARENT_TAG

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
SCORED = ("completed", "pruned")  # trials with a score: a pruned one keeps the best it reached
_STATUS = {"FINISHED": "completed", "FAILED": "failed", "KILLED": "killed",
           "RUNNING": "running", "SCHEDULED": "running"}


def parse_value(raw: str | None) -> Any:
    """A logged param back to a Python value (MLflow stores every param as a string)."""
    if raw is None or raw == "None":
        return None
    if raw in ("True", "False", "true", "false"):
        return raw.lower() == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


@dataclass
class Trial:
    """One trial run as the leaderboard and the pictures need it."""

    run_id: str
    name: str
    number: int | None
    status: str                       # completed | failed | running | killed
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    score: float | None = None        # best_<objective>
    trial_id: str = ""                # keras-tuner's id; every attempt of a trial shares it
    attempt: int = 1                  # > 1: earlier attempts were interrupted and retried
    start_time: int = 0
    final: bool = True                # False: an earlier attempt, superseded by a retry

    @property
    def cell(self) -> str:
        return self.tags.get("cell") or self.params.get("cell") or "?"

    @property
    def bidirectional(self) -> bool:
        raw = self.tags.get("bidirectional") or self.params.get("bidirectional") or "false"
        return raw.lower() == "true"


@dataclass
class Sweep:
    """A sweep's parent run and its trials, with the objective and its direction."""

    run: Any                          # mlflow.entities.Run of the parent
    experiment_name: str
    objective: str
    minimise: bool
    trials: list[Trial] = field(default_factory=list)  # one per trial: its final attempt
    attempts: list[Trial] = field(default_factory=list)  # every trial run, retries included
    all_attempts: bool = False  # list every run (``--all-attempts``), not one per trial

    @property
    def rows(self) -> list[Trial]:
        """What a leaderboard lists: one run per trial, or every run with ``all_attempts``."""
        return self.attempts if self.all_attempts else self.trials

    @property
    def superseded(self) -> list[Trial]:
        """Earlier attempts of retried trials (KILLED or FAILED runs a retry replaced)."""
        return [t for t in self.attempts if not t.final]

    @property
    def run_id(self) -> str:
        return str(self.run.info.run_id)

    @property
    def name(self) -> str:
        tags = self.run.data.tags
        return tags.get("sweep") or str(self.run.info.run_name or self.run_id)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.run.data.params)

    @property
    def metrics(self) -> dict[str, float]:
        return dict(self.run.data.metrics)

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.run.data.tags)

    def ranked(self) -> list[Trial]:
        """Completed trials best first, then the rest (running, failed) in trial order; with
        ``all_attempts`` a trial's earlier attempts follow it, latest first."""
        shown = self.rows
        scored = [t for t in shown if t.final and t.status in SCORED and t.score is not None]
        sign = 1.0 if self.minimise else -1.0
        scored.sort(key=lambda t: (sign * float(t.score or 0.0), t.number or 0))
        rest = sorted((t for t in shown if t.final and t not in scored),
                      key=lambda t: (t.status == "failed", t.number or 0))
        order = scored + rest
        earlier = [t for t in shown if not t.final]
        if not earlier:
            return order
        out: list[Trial] = []
        for trial in order:
            out.append(trial)
            out.extend(sorted((t for t in earlier if t.trial_id == trial.trial_id),
                              key=lambda t: (-t.attempt, -t.start_time)))
        return out + [t for t in earlier if t not in out]

    @property
    def champion(self) -> Trial | None:
        """The trial the sweep named best when it last finished (tag ``best_trial``, which a
        resumed or extended sweep overwrites), else the top of the ranking."""
        named = self.tags.get("best_trial")
        for trial in self.trials:
            if named and trial.name == named:
                return trial
        scored = [t for t in self.trials if t.status in SCORED and t.score is not None]
        if not scored:
            return None
        sign = 1.0 if self.minimise else -1.0
        return min(scored, key=lambda t: (sign * float(t.score or 0.0), t.number or 0))


_FAST_FAIL = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


def open_client(tracking_uri: str | None) -> tuple[Any, str]:
    """A client on the store, refusing (without creating it) a sqlite file that does not exist."""
    disable_telemetry()
    for key, value in _FAST_FAIL.items():  # a dead server should fail in seconds, not minutes
        os.environ.setdefault(key, value)
    uri = resolve_tracking_uri(tracking_uri)
    db = sqlite_path(uri)
    if db is not None and not db.exists():
        shown = db if tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") else Path(db.name)
        raise SweepLookupError(
            f"no tracking store at {shown}: run a sweep here first (lstm-sweep run SWEEP.yaml) "
            f"or pass --tracking-uri")
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        client.search_experiments(max_results=1)
    except Exception as exc:  # MLflow raises many types for one cause: the store is unusable
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TrackingError(f"tracking store {uri} cannot be used: {first}") from None
    return client, uri


def find_sweep(client: Any, ref: str | None) -> Any:
    """The parent run named by ``ref``: a sweep YAML path, a sweep name, a run id, or None
    for the latest sweep in the store."""
    if ref is None:
        run = latest_sweep_run(client, _experiment_ids(client))
        if run is None:
            raise SweepLookupError("no sweep runs in this tracking store: run a sweep first "
                                   "(lstm-sweep run SWEEP.yaml) or pass --tracking-uri")
        return run
    if ref.endswith((".yaml", ".yml")) or Path(ref).is_file():
        return _by_sweep_file(client, ref)
    if _RUN_ID.match(ref):
        run = _run_or_none(client, ref)
        if run is not None:
            return _as_sweep_run(client, run)
    if "'" not in ref:
        run = latest_sweep_run(client, _experiment_ids(client), f"tags.sweep = '{ref}'")
        if run is None:
            run = latest_sweep_run(client, named_experiment_ids(client, ref))
        if run is not None:
            return run
    known = _sweep_names(client)
    hint = f"; sweeps in this store: {', '.join(known)}" if known else "; the store has no sweeps"
    raise SweepLookupError(f"unknown sweep '{ref}' (not a sweep file, sweep name, experiment or "
                           f"run id){hint}")


def load_sweep_runs(client: Any, parent: Any, all_attempts: bool = False) -> Sweep:
    """The parent run with its trial runs, objective and direction.

    A retried trial has several runs (tag ``lstm_sweep.attempt``; the earlier ones KILLED or
    FAILED): ``Sweep.trials`` holds its final attempt, ``Sweep.attempts`` every run;
    ``all_attempts`` makes the leaderboard list every run.
    """
    params = parent.data.params
    objective = params.get("objective", "val_loss")
    minimise = direction(objective, params.get("direction")) == "min"
    experiment = client.get_experiment(parent.info.experiment_id)
    sweep = Sweep(run=parent, experiment_name=experiment.name, objective=objective,
                  minimise=minimise, all_attempts=all_attempts)
    for run in _search_all(client, [parent.info.experiment_id],
                           f"tags.`{PARENT_TAG}` = '{parent.info.run_id}'"):
        sweep.attempts.append(_trial(run, objective))
    sweep.trials = final_attempts(sweep.attempts)
    return sweep


def final_attempts(runs: list[Trial]) -> list[Trial]:
    """One run per trial: the last attempt that ended as the trial did (or is running), else
    the last one; the others are marked ``final = False``. Runs without a ``trial_id`` tag
    stand alone. Order: as given."""
    groups: dict[str, list[Trial]] = {}
    for run in runs:
        groups.setdefault(run.trial_id or f"run:{run.run_id}", []).append(run)
    chosen = set()
    for group in groups.values():
        group = sorted(group, key=lambda t: (t.attempt, t.start_time))
        live = [t for t in group if t.status not in ("killed", "interrupted")]
        chosen.add((live or group)[-1].run_id)
    for run in runs:
        run.final = run.run_id in chosen
    return [run for run in runs if run.final]


def read_sweep(tracking_uri: str | None, ref: str | None,
               all_attempts: bool = False) -> tuple[Any, Sweep]:
    """Client and sweep in one call, for the commands."""
    client, _ = open_client(tracking_uri)
    return client, load_sweep_runs(client, find_sweep(client, ref), all_attempts)


def _trial(run: Any, objective: str) -> Trial:
    tags = dict(run.data.tags)
    metrics = dict(run.data.metrics)
    status = tags.get("status") or _STATUS.get(run.info.status, run.info.status.lower())
    if run.info.status == "RUNNING":
        status = "running"
    number = tags.get("trial_number", "")
    attempt = tags.get(ATTEMPT_TAG, "")
    return Trial(run_id=run.info.run_id, name=str(run.info.run_name or run.info.run_id),
                 number=int(number) if number.isdigit() else None, status=status,
                 params=dict(run.data.params), metrics=metrics, tags=tags,
                 score=metrics.get(f"best_{objective}"), trial_id=tags.get("trial_id", ""),
                 attempt=int(attempt) if attempt.isdigit() else 1,
                 start_time=int(run.info.start_time or 0))


def _experiment_ids(client: Any) -> list[str]:
    ids: list[str] = []
    token = None
    while True:
        page = client.search_experiments(max_results=1000, page_token=token)
        ids.extend(e.experiment_id for e in page)
        token = page.token
        if not token:
            return ids


def _search_all(client: Any, experiment_ids: list[str], filter_string: str) -> list[Any]:
    runs: list[Any] = []
    token = None
    while experiment_ids:
        page = client.search_runs(experiment_ids, filter_string=filter_string, max_results=1000,
                                  order_by=["attributes.start_time ASC"], page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    return runs


def _by_sweep_file(client: Any, path: str) -> Any:
    from lstm_automl.sweep_file.loader import load_sweep  # defers pydantic

    config = load_sweep(path).config
    run = latest_sweep_run(client, named_experiment_ids(client, config.experiment_name),
                           f"tags.sweep = '{config.name}'")
    if run is None:
        raise SweepLookupError(f"{path}: sweep '{config.name}' has no run in experiment "
                               f"'{config.experiment_name}' of this tracking store; run it "
                               f"first (lstm-sweep run {path}) or pass --tracking-uri")
    return run


def _run_or_none(client: Any, run_id: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id)
    except MlflowException:
        return None


def _as_sweep_run(client: Any, run: Any) -> Any:
    """A sweep run as is; a trial run leads to its sweep."""
    kind = run.data.tags.get(KIND_TAG)
    if kind == "sweep":
        return run
    parent = run.data.tags.get(PARENT_TAG)
    if kind == "trial" and parent:
        return client.get_run(parent)
    raise SweepLookupError(f"run {run.info.run_id} is not an lstm-sweep sweep run "
                           f"(no tag {KIND_TAG}=sweep)")


def _sweep_names(client: Any, limit: int = 10) -> list[str]:
    runs = sweep_runs(client, _experiment_ids(client), limit=200)
    names = dict.fromkeys(r.data.tags.get("sweep", r.info.run_name) for r in runs)
    return list(names)[:limit]
