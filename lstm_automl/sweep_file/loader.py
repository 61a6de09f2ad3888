"""Sweep file on disk, or a Python mapping → validated ``SweepConfig``, or one ``ConfigError``
listing every problem.

The steps, one module each: the YAML read safely (``yaml_text``), ``--set`` overrides and the
preset written in, the schema's errors worded (``messages``), then the meaning rules
(``rules.RULES``). Checks that need the data read are in ``data_checks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lstm_automl.config import schema as cfg
from lstm_automl.config.overrides import (
    apply_overrides,
    effective_text,
    name_overridden,
    parse_overrides,
)
from lstm_automl.errors import ConfigError
from lstm_automl.model.python_model import python_ref, static_problems
from lstm_automl.sweep_file.messages import format_errors, raw_meaning_problems
from lstm_automl.sweep_file.preset import apply_preset
from lstm_automl.sweep_file.rules import RULES
from lstm_automl.sweep_file.yaml_text import first_line, override_value, parse_yaml, read_text


@dataclass
class LoadedSweep:
    """A validated sweep and where it came from (relative data paths resolve from ``base_dir``)."""

    config: cfg.SweepConfig
    path: Path
    text: str
    notes: list[str] = field(default_factory=list)
    source: str = ""
    overrides: list[str] = field(default_factory=list)  # ``--set`` items, as typed
    effective: str = ""  # the file with the overrides written in ("" without overrides)
    preset: str = ""  # the preset the file was resolved with ("none": schema defaults)
    preset_choices: list[str] = field(default_factory=list)  # "key: value (why)", one a value

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def load_sweep(path: str | Path, overrides: Sequence[str] = ()) -> LoadedSweep:
    """Read, parse and validate a sweep file; raise ConfigError naming every problem.

    ``overrides``: ``--set KEY=VALUE`` items, written into the file's mapping before it is
    validated (lstm_automl.config.overrides).
    """
    source = str(path)
    changes = _parsed_overrides(overrides, source)
    text = read_text(Path(path), source)
    return _validated(parse_yaml(text, source), text, Path(path).resolve(), source, overrides,
                      changes)


def load_sweep_mapping(mapping: Any, overrides: Sequence[str] = (),
                       source: str = "sweep dict") -> LoadedSweep:
    """A sweep given as a Python mapping (the Python API), checked exactly like a file: written
    out as YAML and read back by the file's own loader, so the same guards and messages apply.
    Relative paths in it resolve against the current folder, where a file would be."""
    changes = _parsed_overrides(overrides, source)
    try:
        text = yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as exc:  # an object YAML cannot hold (a class instance, a set...)
        raise ConfigError(source, [f"holds a value that is not plain data ({first_line(exc)}); "
                                   f"use str, int, float, bool, None, lists and dicts"]) from None
    data = parse_yaml(text, source)
    name = data.get("name") if isinstance(data, dict) else None
    file_name = f"{name}.yaml" if isinstance(name, str) and name.isidentifier() else "sweep.yaml"
    return _validated(data, text, Path.cwd().resolve() / file_name, source, overrides, changes)


def _parsed_overrides(overrides: Sequence[str], source: str) -> list[Any]:
    changes, problems = parse_overrides(overrides, override_value)
    if problems:
        raise ConfigError(source, problems)
    return changes


def _validated(data: Any, text: str, path: Path, source: str, overrides: Sequence[str],
               changes: list[Any]) -> LoadedSweep:
    """The parsed mapping with the overrides written in, validated and checked for meaning."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(source, [
            f"the top level must be a mapping of keys (name, data, search, tuner, training, "
            f"tracking), got {kind}"
        ])
    data, problems = apply_overrides(data, changes)
    if problems:
        raise ConfigError(source, problems)
    data, preset, chosen = apply_preset(data, Path(path).resolve().parent, source)
    try:
        config = cfg.SweepConfig.model_validate(data)
    except ValidationError as exc:
        problems = format_errors(exc.errors()) + raw_meaning_problems(data)
        raise ConfigError(source, name_overridden(problems, changes)) from None
    problems, notes = check_meaning(config)
    ref = python_ref(config, path.parent)
    if ref is not None:
        problems += static_problems(ref)  # the import itself waits for the run (TensorFlow)
    if problems:
        raise ConfigError(source, name_overridden(problems, changes))
    return LoadedSweep(config=config, path=path, text=text, notes=notes,
                       source=source, overrides=list(overrides),
                       effective=effective_text(data, changes, source) if changes else "",
                       preset=preset, preset_choices=chosen)


def check_meaning(config: cfg.SweepConfig) -> tuple[list[str], list[str]]:
    """Checks that need the whole file: (problems that stop the sweep, notes worth printing),
    each rule of ``rules.RULES`` in the table's order."""
    problems: list[str] = []
    notes: list[str] = []
    for rule in RULES:
        found = rule.check(config)
        problems += found.problems
        notes += found.notes
    return problems, notes
