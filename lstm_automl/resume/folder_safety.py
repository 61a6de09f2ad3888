"""Which files in a sweep folder lstm-sweep may delete or overwrite: only those it provably wrote.

The sweep folder is ``<tuner.directory>/<name>``, two settings a user may point anywhere
(``directory: .`` with ``name: results`` is the user's own ``results/``). So before anything is
created, the folder must be absent, empty, or ours: our marker ``lstm_sweep.json`` (a JSON object
with the keys we write) next to nothing but keras-tuner's own names (oracle.json, its tuner files,
``trial_*/`` folders with trial.json, build_config.json and checkpoints). A folder that is or
holds the current folder, the home folder, a git repository or the file system root, or that is a
symbolic link, is never ours. Light on purpose (no numpy, Keras or MLflow): ``validate`` uses it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lstm_automl.errors import ConfigError

STATE_FILE = "lstm_sweep.json"
STATE_TMP = f".{STATE_FILE}.tmp"  # save()'s temporary name (a kill -9 may leave it)
_STATE_KEYS = {"sweep_id", "config_hash", "identity", "created"}
_TRIAL_FILES = {"trial.json", "build_config.json"}
_SHOWN = 5  # foreign names quoted in a refusal


def folder_problem(folder: Path) -> str | None:
    """Why lstm-sweep must not use ``folder`` as a sweep folder, or None when it may.

    A refusal says what the folder is and why; the caller adds what to do about it.
    """
    if folder.is_symlink():
        return f"{folder} is a symbolic link (to {os.readlink(folder)})"
    resolved = folder.resolve()
    for label, protected in (("the current folder", Path.cwd()), ("your home folder", Path.home())):
        protected = protected.resolve()
        if resolved == protected or resolved in protected.parents:
            return f"{folder} is {label}" if resolved == protected else \
                f"{folder} contains {label} ({protected})"
    if (resolved / ".git").exists():
        return f"{folder} is a git repository"
    if not folder.exists():
        return None
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    names = sorted(entry.name for entry in folder.iterdir())
    if not names or names == [STATE_TMP]:
        return None
    if not is_our_marker(folder / STATE_FILE):
        if (folder / STATE_FILE).exists():
            return f"{folder / STATE_FILE} was not written by lstm-sweep (or is damaged)"
        return f"{folder} is not empty and has no {STATE_FILE} ({_quote(names)})"
    foreign = foreign_entries(folder)
    if foreign:
        return f"{folder} holds files lstm-sweep did not write ({_quote(foreign)})"
    return None


def refusal(folder: Path, problem: str) -> str:
    """The whole refusal line: the problem, then what to do."""
    return (f"tuner.directory/name: {problem}; lstm-sweep keeps each sweep's state in its own "
            f"folder and deletes only what it wrote there, so it will not use {folder}. Pick "
            f"another tuner.directory or name, or move or remove that folder yourself")


def is_our_marker(path: Path) -> bool:
    """``lstm_sweep.json`` as SweepState.save writes it (a JSON object with our keys)."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and _STATE_KEYS <= set(data) and \
        isinstance(data.get("identity"), dict)


def foreign_entries(folder: Path) -> list[str]:
    """Names in ``folder`` that neither lstm-sweep nor keras-tuner writes (a/b for nested)."""
    foreign: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink():
            foreign.append(entry.name)
        elif entry.is_dir() and entry.name.startswith("trial_"):
            foreign += [f"{entry.name}/{name}" for name in _foreign_in_trial(entry)]
        elif not (entry.is_file() and _own_top_file(entry)):
            foreign.append(entry.name)
    return foreign


def remove_own_files(folder: Path) -> None:
    """Delete what lstm-sweep and keras-tuner wrote in ``folder`` (``--fresh``), file by file;
    anything else stays, and so does the folder when anything is left."""
    if folder.is_symlink() or not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.is_symlink():
            continue
        if entry.is_dir() and entry.name.startswith("trial_"):
            _remove_files(entry, (e for e in entry.iterdir() if _own_trial_file(e)))
            _rmdir_if_empty(entry)
        elif entry.is_file() and _own_top_file(entry):
            entry.unlink()
    _rmdir_if_empty(folder)


def _own_top_file(path: Path) -> bool:
    """Our marker, keras-tuner's oracle, or a keras-tuner tuner file (``<tuner id>.json``, which
    holds ``{}``: its name is the worker's id, any text)."""
    if path.name in (STATE_TMP, "oracle.json"):
        return True
    if path.name == STATE_FILE:
        return is_our_marker(path)
    if path.suffix != ".json" or path.stat().st_size > 64:
        return False
    try:
        return json.loads(path.read_text()) == {}
    except (OSError, ValueError):
        return False


def _own_trial_file(path: Path) -> bool:
    return not path.is_symlink() and path.is_file() and (
        path.name in _TRIAL_FILES or path.name.startswith("checkpoint"))


def _foreign_in_trial(folder: Path) -> list[str]:
    return [entry.name for entry in sorted(folder.iterdir()) if not _own_trial_file(entry)]


def _remove_files(folder: Path, files: Iterable[Path]) -> None:
    for path in files:
        path.unlink()


def _rmdir_if_empty(folder: Path) -> None:
    if not any(folder.iterdir()):
        folder.rmdir()


def _quote(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    more = len(names) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def folder_of(directory: str | None, name: str) -> Path:
    """``<tuner.directory>/<name>``, with ./.lstm_sweep when no directory is set."""
    return Path(directory or ".lstm_sweep") / name


def check_folder(folder: Path, source: str) -> None:
    """Raise ConfigError (exit 2) naming ``folder`` when lstm-sweep must not use it."""
    problem = folder_problem(folder)
    if problem is not None:
        raise ConfigError(source, [refusal(folder, problem)])


def check_sweep_file_folder(config: Any, source: str) -> None:
    """``check_folder`` for a loaded sweep's folder: what ``validate``, ``run`` and ``chief``
    check first, before any file or MLflow run exists."""
    check_folder(folder_of(config.tuner.directory, config.name), source)
