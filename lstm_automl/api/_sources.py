"""What the Python API accepts as a sweep: a YAML file's path or a mapping, plus overrides given
as a mapping (``{"tuner.max_trials": 2}``) or as the CLI's ``KEY=VALUE`` strings."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Union

import yaml

from lstm_automl.errors import ConfigError
from lstm_automl.sweep_file.loader import LoadedSweep, load_sweep, load_sweep_mapping

__all__ = ["Overrides", "SweepSource", "load", "override_items"]

SweepSource = Union[str, "os.PathLike[str]", Mapping[str, Any]]
Overrides = Union[Mapping[str, Any], Sequence[str], None]


def load(sweep: SweepSource, overrides: Overrides = None) -> LoadedSweep:
    """The validated sweep; a mapping is checked exactly like a file (its relative paths resolve
    against the current folder)."""
    items = override_items(overrides)
    if isinstance(sweep, Mapping):
        return load_sweep_mapping(plain(sweep), items)
    if isinstance(sweep, (str, os.PathLike)):
        return load_sweep(os.fspath(sweep), items)
    raise ConfigError("sweep", [f"expected a path to a sweep YAML file or a dict, got a "
                                f"{type(sweep).__name__}"])


def override_items(overrides: Overrides) -> list[str]:
    """``KEY=VALUE`` items as ``--set`` takes them: a mapping's values are written as YAML, so
    ``{"search.units": {"choice": [8, 16]}}`` means what ``--set 'search.units={choice: [8,
    16]}'`` means."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [overrides]
    if isinstance(overrides, Mapping):
        return [f"{key}={_yaml_value(key, plain(value))}" for key, value in overrides.items()]
    return [str(item) for item in overrides]


def plain(value: Any) -> Any:
    """Tuples as lists, paths as strings, mappings as dicts: what a YAML file could hold."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()  # numpy scalars, common in notebooks
    return value


def _yaml_value(key: str, value: Any) -> str:
    try:
        text = yaml.safe_dump(value, default_flow_style=True, width=1 << 16).strip()
    except yaml.YAMLError:
        raise ConfigError("overrides", [f"{key}: a {type(value).__name__} is not plain data; "
                                        f"use str, int, float, bool, None, lists and dicts"]
                          ) from None
    return text[:-3].strip() if text.endswith("\n...") else text


def source_path(sweep: SweepSource) -> str | None:
    """The sweep file as given (for messages and child processes); None for a mapping."""
    return None if isinstance(sweep, Mapping) else os.fspath(sweep)
