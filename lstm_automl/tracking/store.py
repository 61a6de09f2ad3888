"""The tracking store: which one (resolved once), whether it can be used, and its failures.

MLflow raises many exception types for one cause (the store is gone); ``tracking_call`` turns
them into one ``TrackingError`` that says what the sweep was doing.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from lstm_automl.errors import TrackingError
from lstm_automl.redaction import redact

__all__ = ["DEFAULT_TRACKING_URI", "artifact_location", "check_store", "disable_telemetry",
           "display_uri", "fast_fail", "first_line", "resolve_tracking_uri", "sqlite_path",
           "tracking_call"]

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
def disable_telemetry() -> None:
    """MLflow would send usage data: machines may have no network, and users may not want it."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    # MLflow prints a "View run ... at: http://..." line per run it closes on a server.
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")


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
    """The URI as a user types it: ``sqlite:///mlflow.db`` when the store is in this folder;
    a password or token in it hidden (lstm_automl.redaction)."""
    db = sqlite_path(uri)
    if db is not None and db.parent == Path.cwd().resolve():
        return f"sqlite:///{db.name}"
    return redact(uri)


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

@contextlib.contextmanager
def fast_fail() -> Iterator[None]:
    """One quick try instead of MLflow's minutes of retries (checks, and cleanup after a loss)."""
    saved = {k: os.environ.get(k) for k in _FAST_FAIL}
    os.environ.update(_FAST_FAIL)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def tracking_call(uri: str, what: str) -> Iterator[None]:
    """Turn whatever MLflow raises (many types for one cause) into one TrackingError."""
    try:
        yield
    except TrackingError:
        raise
    except Exception as exc:
        raise TrackingError(f"tracking store {display_uri(uri)} failed while {what}: "
                            f"{first_line(exc)}") from exc


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
    with fast_fail():
        try:
            mlflow.set_tracking_uri(uri)
            mlflow.MlflowClient().search_experiments(max_results=1)
        except Exception as exc:  # MLflow raises many types for one cause: the store is unusable
            raise TrackingError(f"tracking store {display_uri(uri)} cannot be used: "
                                f"{first_line(exc)}") from None
