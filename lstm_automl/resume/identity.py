"""What a sweep *is*: the settings that give its trials their meaning, and a hash of them.

A sweep can be resumed only while these stay the same (a trial trained on other data, another
space or another objective would be compared with trials that mean something else). Which keys
are in, which are left out on purpose, and how two identities compare: resume/compatibility.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from lstm_automl.config.schema import SweepConfig
from lstm_automl.data.base import SPLITS, SweepData
from lstm_automl.resume.compatibility import LATER_KEYS, MAY_CHANGE, describe_changes

__all__ = ["data_fingerprint", "describe_changes", "identity_hash", "sweep_identity"]


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
    """Flat ``{dotted.key: compact JSON value}`` of everything that defines the trials (the
    keys of ``compatibility.MUST_MATCH``; those that may change stay out).

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
        name = f"training.{key}"
        if name not in MAY_CHANGE and LATER_KEYS.get(name, _UNSET) != value:
            identity[name] = _compact(value)
    identity.update({f"tuner.{key}": _compact(value)
                     for key, value in _tuner_keys(config, direction).items()})
    return identity


def _tuner_keys(config: SweepConfig, direction: str) -> dict[str, Any]:
    """``compatibility.TUNER_KEYS`` where they apply (and, for those a later release added, away
    from their default), so that sweeps keep their hash."""
    tuner = config.tuner
    keys: dict[str, Any] = {"algorithm": tuner.algorithm, "objective": tuner.objective,
                            "direction": direction,
                            "executions_per_trial": tuner.executions_per_trial}
    if tuner.algorithm == "hyperband":
        keys["hyperband_factor"] = tuner.hyperband_factor
        if tuner.hyperband_iterations != 1:
            keys["hyperband_iterations"] = tuner.hyperband_iterations
    if tuner.algorithm == "grid" and tuner.grid_order != "sequential":
        keys["grid_order"] = tuner.grid_order
    return keys


_UNSET = object()


def identity_hash(identity: dict[str, str]) -> str:
    """Short, stable hash of an identity (stored as a tag on the sweep run and in its folder)."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(", ", ": "), default=str)
