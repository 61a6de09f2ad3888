"""``--set KEY=VALUE``: change one value of the sweep file from the command line.

The value is read as YAML (``--set training.epochs=5``, ``--set search.units='{choice: [8, 16]}'``)
and written into the loaded mapping before validation, so it is checked exactly like the file and
changes the sweep's identity exactly as editing the file would. Problems name the option
(``--set tuner.max_trials: ...``) rather than the file.
"""

from __future__ import annotations

import copy
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from lstm_automl.errors import ConfigError
from lstm_automl.redaction import redact

OPTION = "--set"
_KEY_PART = r"[A-Za-z_][A-Za-z0-9_]*"
MAX_VALUE_CHARS = 64 << 10  # one value; a whole sweep file may have 1 MiB


@dataclass(frozen=True)
class Override:
    """One ``--set``: a dotted key path and its value as YAML read it."""

    key: str
    value: Any
    text: str  # as typed, for messages and for passing on to child processes

    @property
    def parts(self) -> list[str]:
        return self.key.split(".")


def parse_overrides(items: Sequence[str], parse: Callable[[str], Any]) -> tuple[
        list[Override], list[str]]:
    """The overrides, and one problem line per item that is not ``KEY=VALUE``.

    ``parse`` reads a value with the guards of the sweep file (safe loader, alias-bomb check);
    it raises ConfigError or a YAML error. A value longer than ``MAX_VALUE_CHARS`` is refused
    before it is parsed.
    """
    found, problems = [], []
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        parts = key.split(".")
        if not sep or not key or any(not p.isidentifier() for p in parts):
            problems.append(f"{OPTION} {item}: expected KEY=VALUE with a dotted key, e.g. "
                            f"{OPTION} tuner.max_trials=50")
            continue
        if len(raw) > MAX_VALUE_CHARS:
            problems.append(f"{OPTION} {key}: the value has {len(raw)} characters, more than "
                            f"{MAX_VALUE_CHARS}; put a value that large in the sweep file")
            continue
        try:
            value = parse(raw) if raw.strip() else None
        except ConfigError as exc:
            problems.append(f"{OPTION} {key}: {exc.problems[0] if exc.problems else exc}")
            continue
        except yaml.YAMLError as exc:
            problems.append(f"{OPTION} {key}: the value is not YAML ({_first(exc)})")
            continue
        except (ValueError, RecursionError) as exc:  # odd scalars (0x_), deep nesting
            problems.append(f"{OPTION} {key}: the value cannot be read as YAML "
                            f"({type(exc).__name__}: {str(exc)[:200]})")
            continue
        found.append(Override(key, value, item))
    return found, problems


def apply_overrides(data: dict[str, Any], overrides: Sequence[Override]) -> tuple[
        dict[str, Any], list[str]]:
    """A copy of ``data`` with every override written in (later ones win), and problems."""
    merged = copy.deepcopy(data)
    problems = []
    for override in overrides:
        node: Any = merged
        parts = override.parts
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[:depth + 1])
                problems.append(f"{OPTION} {override.key}: {where} is a value "
                                f"({child!r}), not a section")
                break
            node = child
        else:
            node[parts[-1]] = copy.deepcopy(override.value)
    return merged, problems


def name_overridden(problems: list[str], overrides: Sequence[Override]) -> list[str]:
    """Problems about a key some ``--set`` wrote, said as ``--set key: ...``."""
    keys = [o.key for o in overrides]
    named = []
    for line in problems:
        path = line.split(":", 1)[0].split("[", 1)[0]
        hit = any(path == k or path.startswith(k + ".") or k.startswith(path + ".")
                  for k in keys) and not line.startswith(OPTION)
        named.append(f"{OPTION} {line}" if hit else line)
    return named


def effective_text(data: dict[str, Any], overrides: Sequence[Override], source: str) -> str:
    """The sweep as it runs, for the sweep run's artifacts: the file with the overrides in."""
    header = [f"# {source} with {len(overrides)} command-line override(s):"]
    header += [f"#   {OPTION} {o.text}" for o in overrides]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return "\n".join(header) + "\n" + body


def as_arguments(overrides: Sequence[str]) -> list[str]:
    """``--set k=v`` pairs for a child process's command line."""
    return [arg for text in overrides for arg in (OPTION, text)]


def shell_suffix(overrides: Sequence[str]) -> str:
    """`` --set k=v ...`` quoted for a shell, to add to a command line users copy ('' if none);
    printed, so a password in a value is hidden."""
    return " " + redact(shlex.join(as_arguments(overrides))) if overrides else ""


def _first(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem or exc).splitlines()[0]
