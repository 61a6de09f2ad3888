"""What a sweep *is*: the settings that give its trials their meaning, and a hash of them.

A sweep can be resumed only while these stay the same (a trial trained on other data, another
space or another objective would be compared with trials that mean something else). Harmless
settings (``max_trials``, ``tracking``, ``description``, failure limits) are left out on purpose.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from lstm_automl.config.schema import SweepConfig
from lstm_automl.data.base import SPLITS, SweepData


def data_fingerprint(data: SweepData) -> str:
    """A hash of the prepared windows: catches an edited CSV behind an unchanged file name."""
    digest = hashlib.sha256()
    for split in SPLITS:
        windows = data.splits.get(split)
        if windows is None:
            continue
        for array in (windows.x, windows.y):
            contiguous = np.ascontiguousarray(array)
            digest.update(f"{split}{contiguous.shape}{contiguous.dtype}".encode())
            digest.update(contiguous.tobytes())
    return digest.hexdigest()[:16]


def sweep_identity(config: SweepConfig, direction: str, fingerprint: str,
                   model_hash: str | None = None) -> dict[str, str]:
    """Flat ``{dotted.key: compact JSON value}`` of everything that defines the trials.

    ``model_hash``: the content hash of the ``model.python`` file, so that editing the network
    refuses a silent resume like editing the YAML does.
    """
    identity: dict[str, str] = {"seed": _compact(config.seed), "data.content": fingerprint}
    identity["model.python"] = _compact(config.model.python if config.model else None)
    if model_hash is not None:
        identity["model.python.content"] = model_hash
    for key, value in config.data.model_dump(mode="json", by_alias=True).items():
        identity[f"data.{key}"] = _compact(value)
    for key, value in config.search.model_dump(mode="json", by_alias=True).items():
        identity[f"search.{key}"] = _compact(value)
    for key, value in config.training.model_dump(mode="json").items():
        if _LATER_KEYS.get(f"training.{key}", _UNSET) != value:
            identity[f"training.{key}"] = _compact(value)
    tuner = config.tuner
    identity.update({
        "tuner.algorithm": _compact(tuner.algorithm),
        "tuner.objective": _compact(tuner.objective),
        "tuner.direction": _compact(direction),
        "tuner.executions_per_trial": _compact(tuner.executions_per_trial),
    })
    if tuner.algorithm == "hyperband":
        identity["tuner.hyperband_factor"] = _compact(tuner.hyperband_factor)
        if tuner.hyperband_iterations != 1:
            identity["tuner.hyperband_iterations"] = _compact(tuner.hyperband_iterations)
    if tuner.algorithm == "grid" and tuner.grid_order != "sequential":
        identity["tuner.grid_order"] = _compact(tuner.grid_order)
    return identity


_UNSET = object()
# Keys added after sweeps were already running: at their default they stay out of the identity,
# so those sweeps still resume.
_LATER_KEYS: dict[str, Any] = {
    "training.early_stopping_monitor": None, "training.min_delta": 0.0, "training.seed": None,
}


def identity_hash(identity: dict[str, str]) -> str:
    """Short, stable hash of an identity (stored as a tag on the sweep run and in its folder)."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(", ", ": "), default=str)
