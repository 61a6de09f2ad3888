"""The Model Registry and the champion policy: register the sweep's model, move the alias.

A version is always registered with its test metrics and the verdict; the ``champion`` alias
moves only to a version that beats the current champion on the primary test metric and, unless
``tracking.champion_must_beat_baseline`` is off, beats the strongest baseline too. Every call
goes through ``MlflowClient(uri)`` for the sweep's own store, never MLflow's global URI.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstm_automl.faults import fault_point
from lstm_automl.tracking.tags import (
    CHAMPION_DECISION_TAG,
    REGISTERED_FOR_TAG,
    REGISTERED_TAG,
    REGISTRATION_TAG,
    SOURCE_RUN_TAG,
)

__all__ = ["CHAMPION", "Candidate", "Registration", "champion_state", "log_champion_candidate",
           "register_once"]

CHAMPION = "champion"
MODEL_ARTIFACT = "model"


@dataclass
class Candidate:
    """What the registry needs to know about the model a sweep wants to register."""

    model_name: str
    test_metrics: dict[str, float]  # prefixed ``test_``
    primary: str  # the ``test_`` metric versions are compared on
    higher_is_better: bool
    description: str
    withheld: str | None = None  # why it must not take the alias whatever it scores
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Registration:
    """The version registered, and whether it holds the alias (with the reason)."""

    version: str
    champion: bool
    reason: str


def register_once(uri: str, sweep_run_id: str, done_for: str, candidate: Candidate,
                  save: Any) -> Registration:
    """Register the sweep's model once per finish, even across a kill -9 mid-registration.

    ``done_for`` identifies what was registered (best trial and trial count). The version is
    created already tagged with the sweep run and ``done_for``, so that a resumed finish finds
    a version an interrupted one created and completes it (tags, alias decision, description)
    instead of adding another. ``save(path)`` writes the MLflow model folder.
    """
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    tags = client.get_run(sweep_run_id).data.tags
    if tags.get(REGISTERED_FOR_TAG) == done_for and tags.get(REGISTERED_TAG):
        version = tags[REGISTERED_TAG]
        champion, reason = champion_state(uri, candidate.model_name, version)
        return Registration(version, champion, reason)
    found = _version_of(client, candidate.model_name, sweep_run_id, done_for)
    if found is not None and found.tags.get(REGISTRATION_TAG) == "complete":
        version = str(found.version)  # the alias stays as it is now (another sweep may hold it)
        registration = Registration(version, *champion_state(uri, candidate.model_name, version))
    else:
        _log_model(client, sweep_run_id, save)  # again when resumed: the same folder, our files
        if found is None:
            version = _new_version(client, candidate.model_name, sweep_run_id,
                                   {SOURCE_RUN_TAG: sweep_run_id, REGISTERED_FOR_TAG: done_for})
            fault_point("registration")
            registration = _complete(client, candidate, version, sweep_run_id, {})
        else:
            registration = _complete(client, candidate, str(found.version), sweep_run_id,
                                     dict(found.tags))
    fault_point("registered")
    client.set_tag(sweep_run_id, REGISTERED_TAG, registration.version)
    client.set_tag(sweep_run_id, REGISTERED_FOR_TAG, done_for)
    return registration


def log_champion_candidate(uri: str, source_run_id: str, candidate: Candidate,
                           save: Any) -> Registration:
    """Log the model to the sweep run, register it, move ``champion`` if it is better."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    _log_model(client, source_run_id, save)
    version = _new_version(client, candidate.model_name, source_run_id,
                           {SOURCE_RUN_TAG: source_run_id})
    return _complete(client, candidate, version, source_run_id, {})


def _log_model(client: Any, run_id: str, save: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / MODEL_ARTIFACT
        save(local)
        client.log_artifacts(run_id, str(local), artifact_path=MODEL_ARTIFACT)


def _version_of(client: Any, model_name: str, run_id: str, done_for: str) -> Any:
    """The version an earlier (interrupted) finish of this sweep run created for ``done_for``."""
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"run_id = '{run_id}'")
    except MlflowException:
        return None
    mine = [v for v in versions if v.name == model_name
            and v.tags.get(REGISTERED_FOR_TAG) == done_for]
    return min(mine, key=lambda v: int(v.version), default=None)


def _complete(client: Any, candidate: Candidate, version: str, source_run_id: str,
              tags: dict[str, str]) -> Registration:
    """Write what a version carries, in an order a resumed finish can complete: the tags, the
    alias decision (kept, so a rerun decides the same), the alias, the description, and last
    the ``complete`` mark. ``tags``: what the version has already."""
    name, metrics = candidate.model_name, candidate.test_metrics
    wanted = {**{k: f"{v:.6g}" for k, v in metrics.items()}, SOURCE_RUN_TAG: source_run_id,
              **candidate.tags}
    for tag, text in wanted.items():
        if tags.get(tag) != text:
            client.set_model_version_tag(name, version, tag, text)
    decision = tags.get(CHAMPION_DECISION_TAG)
    if decision is None:
        better, reason = _takes_alias(client, candidate)
        decision = f"{'yes' if better else 'no'}: {reason}"
        client.set_model_version_tag(name, version, CHAMPION_DECISION_TAG, decision)
    better, reason = decision.startswith("yes"), decision.split(": ", 1)[-1]
    if better:
        client.set_registered_model_alias(name, CHAMPION, version)
    text = f"{candidate.description}\nTest metrics: " + ", ".join(
        f"{k}={v:.4g}" for k, v in metrics.items()
    ) + f"\nSource run: {source_run_id}\nChampion: {'yes' if better else 'no'} ({reason})"
    client.update_model_version(name, version, description=text)
    client.set_model_version_tag(name, version, REGISTRATION_TAG, "complete")
    return Registration(version, better, reason)


def _new_version(client: Any, model_name: str, run_id: str, tags: dict[str, str]) -> str:
    """A new version of ``model_name`` from the run's ``model`` folder (created if need be),
    carrying ``tags`` from the moment it exists."""
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):  # it exists already: add a version
        client.get_registered_model(model_name)
        return _create_version(client, model_name, run_id, tags)
    client.create_registered_model(model_name)
    return _create_version(client, model_name, run_id, tags)


def _create_version(client: Any, model_name: str, run_id: str, tags: dict[str, str]) -> str:
    source = f"{client.get_run(run_id).info.artifact_uri.rstrip('/')}/{MODEL_ARTIFACT}"
    return str(client.create_model_version(model_name, source, run_id=run_id,
                                           tags=tags).version)


def _takes_alias(client: Any, candidate: Candidate) -> tuple[bool, str]:
    if candidate.withheld is not None:
        return False, f"no 'champion' alias: {candidate.withheld}"
    current = _current_champion(client, candidate.model_name)
    if current is None:
        return True, "first registered version"
    primary = candidate.primary
    new_value = candidate.test_metrics[primary]
    old_value = float(current.tags.get(primary, "-inf" if candidate.higher_is_better else "inf"))
    better = new_value > old_value if candidate.higher_is_better else new_value < old_value
    return better, f"{primary} {new_value:.4g} vs champion v{current.version} {old_value:.4g}"


def champion_state(uri: str, model_name: str, version: str) -> tuple[bool, str]:
    """Whether ``version`` holds the alias now, and why (for a finish that was re-run)."""
    from mlflow import MlflowClient

    current = _current_champion(MlflowClient(uri), model_name)
    if current is not None and str(current.version) == str(version):
        return True, "registered before the sweep was interrupted; it is the champion"
    holder = f"v{current.version}" if current is not None else "no version"
    return False, f"registered before the sweep was interrupted; {holder} is the champion"


def _current_champion(client: Any, model_name: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None

