"""The MLflow UI address of a sweep's runs, for the console, the HTML report and the Python API.

MLflow 3's UI opens an experiment in its GenAI overview (traces, token usage), where a sweep's
runs are not listed; ``?workflowType=machine_learning`` opens the model-training view with the
runs table instead. A tracking server is its own UI; a local store (sqlite, a folder) needs
``mlflow ui``, which serves on 127.0.0.1:5000 unless told otherwise. No MLflow import here.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["LOCAL_UI", "experiment_url", "ui_base", "ui_command"]

LOCAL_UI = "http://127.0.0.1:5000"  # where ``mlflow ui`` listens by default


def ui_base(tracking_uri: str) -> str:
    """The UI's address: a tracking server's own (without credentials or query), else what
    ``mlflow ui`` serves."""
    parts = urlsplit(tracking_uri)
    if parts.scheme not in ("http", "https"):
        return LOCAL_UI
    host = parts.netloc.rpartition("@")[2]  # a password never goes into a link
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def experiment_url(tracking_uri: str, experiment_id: str) -> str:
    """The link that opens the experiment's runs (not MLflow 3's GenAI overview)."""
    return f"{ui_base(tracking_uri)}/#/experiments/{experiment_id}?workflowType=machine_learning"


def ui_command(tracking_uri: str) -> str | None:
    """The command that serves the UI for a local store; None for a tracking server."""
    if urlsplit(tracking_uri).scheme in ("http", "https"):
        return None
    return f"mlflow ui --backend-store-uri {tracking_uri}"
