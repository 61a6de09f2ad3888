"""MLflow: the sweep's parent run, one nested run per trial, the champion in the registry.

Everything that talks to MLflow lives here, so the rest of the sweep never depends on its API.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_automl.errors import TrackingError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
CHAMPION = "champion"


def disable_telemetry() -> None:
    """MLflow would send usage data: machines may have no network, and users may not want it."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")


def resolve_tracking_uri(configured: str | None) -> str:
    """The sweep file's ``tracking_uri``, else $MLFLOW_TRACKING_URI, else ./mlflow.db (sqlite).

    A relative sqlite path is made absolute: MLflow caches stores by URI string, so a relative
    one would keep pointing at the first folder it was used from.
    """
    uri = configured or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
    db = sqlite_path(uri)
    if db is not None and not db.is_absolute():
        uri = f"sqlite:///{db.resolve()}"
    return uri


def display_uri(uri: str) -> str:
    """The URI as a user types it: ``sqlite:///mlflow.db`` when the store is in this folder."""
    db = sqlite_path(uri)
    if db is not None and db.parent == Path.cwd().resolve():
        return f"sqlite:///{db.name}"
    return uri


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, or None for any other store."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri[len("sqlite:///"):]).expanduser()


def artifact_location(uri: str, experiment: str) -> str | None:
    """Artifacts of a sqlite store go beside the database (not MLflow's ./mlruns default)."""
    db = sqlite_path(uri)
    if db is None:
        return None
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", experiment)
    return (db.resolve().parent / "mlartifacts" / safe).as_uri()


_FAST_FAIL = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


def check_store(uri: str) -> None:
    """Fail before any training when the store cannot be used, with a message saying why."""
    import mlflow

    db = sqlite_path(uri)
    if db is not None:
        folder = db.resolve().parent
        if not folder.is_dir():
            raise TrackingError(f"tracking store {uri}: folder {folder} does not exist")
        if not os.access(folder, os.W_OK) or (db.exists() and not os.access(db, os.W_OK)):
            raise TrackingError(f"tracking store {uri}: {db} is not writable")
    saved = {k: os.environ.get(k) for k in _FAST_FAIL}
    os.environ.update(_FAST_FAIL)  # one quick try, not MLflow's minutes of retries
    try:
        mlflow.set_tracking_uri(uri)
        mlflow.MlflowClient().search_experiments(max_results=1)
    except Exception as exc:  # MLflow raises many types for one cause: the store is unusable
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TrackingError(f"tracking store {uri} cannot be used: {first}") from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def failure_reason(message: str | None) -> str:
    """The one line that says why a trial failed, without the exception's module path."""
    lines = [line.strip() for line in (message or "").strip().splitlines() if line.strip()]
    if not lines:
        return "no reason given"
    return re.sub(r"^[\w.]*(Error|Exception|Exit|Interrupt)\w*: ", "", lines[-1])


@dataclass
class TrialRecord:
    """What the console and the parent run need to know about one finished trial."""

    number: int
    trial_id: str
    run_id: str
    name: str
    values: dict[str, Any]
    status: str = "RUNNING"
    score: float | None = None
    epochs: int = 0
    seconds: float = 0.0
    message: str | None = None


class SweepTracker:
    """Owns the parent run of one sweep and opens and closes its trial runs."""

    def __init__(self, uri: str, experiment: str) -> None:
        import mlflow

        self.mlflow = mlflow
        self.uri = uri
        self.experiment = experiment
        self.parent_run_id: str | None = None
        self.experiment_id: str | None = None

    def start_sweep(self, name: str, params: dict[str, Any], tags: dict[str, str],
                    sweep_text: str, space_text: str) -> str:
        mlflow = self.mlflow
        mlflow.set_tracking_uri(self.uri)
        client = mlflow.MlflowClient()
        existing = client.get_experiment_by_name(self.experiment)
        if existing is None:
            self.experiment_id = client.create_experiment(
                self.experiment, artifact_location=artifact_location(self.uri, self.experiment)
            )
        else:
            self.experiment_id = existing.experiment_id
        run = mlflow.start_run(experiment_id=self.experiment_id, run_name=f"sweep {name}",
                               tags={"lstm_sweep.kind": "sweep", **tags})
        self.parent_run_id = run.info.run_id
        mlflow.log_params({k: _clean(v) for k, v in params.items()})
        mlflow.log_text(sweep_text, "sweep.yaml")
        mlflow.log_text(space_text, "search_space.txt")
        return self.parent_run_id

    def start_trial(self, record: TrialRecord, tags: dict[str, str]) -> str:
        mlflow = self.mlflow
        run = mlflow.start_run(
            experiment_id=self.experiment_id, run_name=record.name, nested=True,
            tags={"lstm_sweep.kind": "trial", "trial_id": record.trial_id,
                  "trial_number": str(record.number), **tags},
        )
        mlflow.log_params({k: _clean(v) for k, v in record.values.items()})
        return run.info.run_id

    def end_trial(self, record: TrialRecord, objective: str) -> None:
        mlflow = self.mlflow
        metrics = {"epochs_trained": float(record.epochs), "trial_seconds": record.seconds}
        if record.score is not None and math.isfinite(record.score):
            metrics[f"best_{objective}"] = record.score
        mlflow.log_metrics(metrics, run_id=record.run_id)
        mlflow.set_tag("status", record.status.lower())
        if record.message:
            mlflow.set_tag("failure", failure_reason(record.message)[:500])
            mlflow.log_text(record.message, "failure.txt")
        mlflow.end_run(status="FINISHED" if record.status == "COMPLETED" else "FAILED")

    def log_table(self, header: list[str], rows: list[list[Any]], name: str) -> None:
        """A CSV artifact on the sweep run (the champion's test predictions, for example)."""
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        self.mlflow.log_text(buffer.getvalue(), name)

    def finish_sweep(self, metrics: dict[str, float], params: dict[str, Any],
                     summary: dict[str, Any], status: str = "FINISHED") -> None:
        mlflow = self.mlflow
        if metrics:
            mlflow.log_metrics({k: v for k, v in metrics.items() if math.isfinite(v)},
                               run_id=self.parent_run_id)
        if params:
            mlflow.log_params({f"best.{k}": _clean(v) for k, v in params.items()})
        mlflow.log_text(json.dumps(summary, indent=2, default=str), "summary.json")
        mlflow.end_run(status=status)

    def abort(self, status: str = "FAILED") -> None:
        """Close every run this process left open (a trial's, then the sweep's)."""
        while self.mlflow.active_run() is not None:
            self.mlflow.end_run(status=status)


def log_champion_candidate(model: Any, model_name: str, signature: Any,
                           test_metrics: dict[str, float], primary: str, higher_is_better: bool,
                           source_run_id: str, description: str) -> tuple[str, bool, str]:
    """Log the best model to the parent run, register it, move ``champion`` if it is better.

    Returns (version, became_champion, reason), comparing ``primary`` on the test split.
    """
    import mlflow

    from lstm_automl.model_io import save_sweep_model

    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "model"
        save_sweep_model(model, local, signature, _pip_requirements())
        mlflow.log_artifacts(str(local), artifact_path="model")
    with contextlib.redirect_stderr(io.StringIO()):  # MLflow prints "Successfully registered"
        registered = mlflow.register_model(f"runs:/{source_run_id}/model", model_name)
    client = mlflow.MlflowClient()
    version = str(registered.version)
    new_value = test_metrics[primary]
    for key, value in test_metrics.items():
        client.set_model_version_tag(model_name, version, key, f"{value:.6g}")
    client.set_model_version_tag(model_name, version, "source_run_id", source_run_id)
    current = _current_champion(client, model_name)
    if current is None:
        better, reason = True, "first registered version"
    else:
        missing = "-inf" if higher_is_better else "inf"
        old_value = float(current.tags.get(primary, missing))
        better = new_value > old_value if higher_is_better else new_value < old_value
        reason = (f"{primary} {new_value:.4g} vs champion v{current.version} {old_value:.4g}")
    if better:
        client.set_registered_model_alias(model_name, CHAMPION, version)
    text = f"{description}\nTest metrics: " + ", ".join(
        f"{k}={v:.4g}" for k, v in test_metrics.items()
    ) + f"\nSource run: {source_run_id}\nChampion: {'yes' if better else 'no'} ({reason})"
    client.update_model_version(model_name, version, description=text)
    return version, better, reason


def _current_champion(client: Any, model_name: str) -> Any:
    import mlflow

    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except mlflow.exceptions.MlflowException:
        return None


def _pip_requirements() -> list[str]:
    """Pin what the saved model needs to load, so MLflow does not guess (slowly) at save time."""
    from importlib.metadata import PackageNotFoundError, version

    reqs = []
    for package in ("tensorflow", "keras", "mlflow", "lstm-sweep"):
        try:
            reqs.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            continue
    return reqs


