"""When an existing sweep may be resumed: the one home of the resume contract, with a version.

A sweep's identity (resume/identity.py) is the flat ``{key: compact JSON}`` of every setting that
gives its trials their meaning; it is stored in the sweep folder's ``lstm_sweep.json`` with
``IDENTITY_VERSION``, and its hash and version are tags of the sweep's MLflow run. Resuming
compares the stored identity with the current one, key by key, under the rules below:

- ``MUST_MATCH``: these keys are the identity; a change refuses the resume, naming each key.
- ``MAY_CHANGE``: left out of the identity on purpose (how long, where to record, how to run).
- ``LOCATES``: they pick the sweep folder itself, so a change means another sweep.
- ``LATER_KEYS``: keys added after sweeps were running; at their default they stay out, so those
  sweeps still resume. A key only one side knows is not a change (``model.*`` aside).

``IDENTITY_VERSION`` says which rules wrote an identity. An identity stored without one was
written before versions existed: it is read as version 1 (the rules did not change). A stored
version newer than this release's is refused: this release cannot know what its keys mean. When
a release changes what a stored key means or how it is written, raise ``IDENTITY_VERSION`` and
teach ``upgrade`` to turn an older identity into the new form.
"""

from __future__ import annotations

import json
from typing import Any

from lstm_automl.errors import ConfigError

__all__ = ["IDENTITY_VERSION", "LATER_KEYS", "LOCATES", "MAY_CHANGE", "MUST_MATCH", "TUNER_KEYS",
           "UNVERSIONED", "changes", "check_version", "describe_changes", "rule_of",
           "stored_version", "upgrade"]

IDENTITY_VERSION = 1
UNVERSIONED = 1  # what an identity stored without a version is read as (the rules of 1)

# The tuner keys of the identity; hyperband_* only for hyperband, grid_order only for a grid
# that is not sequential (identity.py leaves the others out, so a sweep keeps its hash).
TUNER_KEYS = ("algorithm", "objective", "direction", "executions_per_trial", "hyperband_factor",
              "hyperband_iterations", "grid_order")

MUST_MATCH = ("seed", "data", "model.python", "search", "training",
              *(f"tuner.{key}" for key in TUNER_KEYS))  # sections: every key under them

MAY_CHANGE: dict[str, str] = {
    "description": "a note for people",
    "tracking": "where the runs are recorded and registered",
    "final_model": "what happens after the search",
    "preset": "resolved into the other keys when the file is read",
    "tuner.max_trials": "a sweep may go on with more trials",
    "tuner.max_consecutive_failures": "when to give up",
    "tuner.pruning": "stops losing trials early; their scores keep their meaning",
    "tuner.max_time": "a wall-clock limit depends on the machine",
    "tuner.target": "when to stop",
    "tuner.start_with": "which trials come first",
    "tuner.warm_start": "seeds the oracle once",
    "training.recycle_every": "how many processes the sweep takes",
    "training.max_trial_time": "a wall-clock limit depends on the machine",
    "training.backend": "the same models train on another Keras backend",
}

LOCATES = ("name", "tuner.directory")

LATER_KEYS: dict[str, Any] = {
    "training.early_stopping_monitor": None, "training.min_delta": 0.0, "training.seed": None,
}


def rule_of(key: str) -> str | None:
    """Which rule a dotted config key falls under: ``must match``, ``may change``, ``locates``,
    or None when nobody decided (tests/resume/test_compatibility.py requires a rule for each)."""
    if key in MAY_CHANGE or key.split(".")[0] in MAY_CHANGE:
        return "may change"
    if key in LOCATES:
        return "locates"
    if any(key == prefix or key.startswith(prefix + ".") for prefix in MUST_MATCH):
        return "must match"
    return None


def stored_version(raw: Any) -> int:
    """The version an identity was stored with (``raw``: a JSON field or an MLflow tag);
    absent means written before versions existed."""
    if raw is None or raw == "":
        return UNVERSIONED
    try:
        return int(raw)
    except (TypeError, ValueError):
        return IDENTITY_VERSION + 1  # unreadable: treat as written by something newer


def check_version(raw: Any, where: str) -> int:
    """The stored version, or a ``ConfigError`` (exit 2) when a newer lstm-sweep wrote it."""
    version = stored_version(raw)
    if version > IDENTITY_VERSION:
        raise ConfigError(where, [
            f"this sweep was written by a newer lstm-sweep (sweep identity version {raw}; this "
            f"release reads up to {IDENTITY_VERSION}): upgrade lstm-sweep "
            f"(pip install --upgrade lstm-sweep) to resume it"])
    return version


def upgrade(identity: dict[str, str], version: int) -> dict[str, str]:
    """``identity`` as the current version writes it (version 1 is the only one so far)."""
    return dict(identity)


def changes(stored: dict[str, str], version: Any, current: dict[str, str], where: str
            ) -> list[str]:
    """What keeps a stored sweep from resuming with the current identity: one line per changed
    key (empty: it resumes); raises when a newer lstm-sweep stored it."""
    return describe_changes(upgrade(stored, check_version(version, where)), current)


def describe_changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """One line per changed key, ``key: old -> new``, in a stable order.

    Keys known to only one side are skipped: a setting added to lstm-sweep after the sweep
    started must not make every existing sweep unresumable. ``model.*`` keys are the exception
    when set: a sweep switched to a Python network means other trials whatever its age.
    """
    lines = []
    changed = {key for key in set(old) & set(new) if not _same(old[key], new[key])}
    changed |= {key for key in set(new) - set(old) if key.startswith("model.") and
                new[key] != "null"}
    if any(key.startswith("data.") and key != "data.content" for key in changed):
        changed.discard("data.content")  # other windows follow from the changed data settings
    for key in sorted(changed):
        before, after = old.get(key, "(not set)"), new[key]
        if key == "model.python.content":
            lines.append(f"model.python.content: the function's file changed (hash {before} -> "
                         f"{after})")
        elif key == "data.content":
            lines.append(f"data.content: the data itself changed (fingerprint {before} -> "
                         f"{after})")
        else:
            lines.append(f"{key}: {before} -> {after}")
    return lines


def _same(before: str, after: str) -> bool:
    """Equal, counting 0 and 0.0 as one value: a sweep started before the loader gave search
    values their parameter's type (``dropout: 0`` is now 0.0) still resumes."""
    if before == after:
        return True
    try:
        return _as_numbers(json.loads(before)) == _as_numbers(json.loads(after))
    except ValueError:
        return False


def _as_numbers(value: Any) -> Any:
    """Whole floats as ints (exact, unlike the other way round); booleans kept apart (true is
    not 1 here)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_as_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_numbers(v) for k, v in value.items()}
    return value
