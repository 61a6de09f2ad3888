"""The sweep's folder on disk (``<tuner.directory>/<name>``): who it belongs to, resume or not.

keras-tuner keeps its oracle there (oracle.json, trial_*/trial.json, checkpoints). We add
``lstm_sweep.json``: a sweep id (also a tag on the MLflow sweep run, to find it again), the config
hash and the settings behind it, so a changed sweep is refused with what changed instead of being
silently mixed with trials that mean something else.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstm_automl.errors import SweepChangedError
from lstm_automl.resume.compatibility import IDENTITY_VERSION, UNVERSIONED, changes
from lstm_automl.resume.folder_safety import (
    STATE_FILE,
    STATE_TMP,
    check_folder,
    folder_of,
    remove_own_files,
)
from lstm_automl.resume.identity import sweep_identity

if TYPE_CHECKING:
    from lstm_automl.sweep_file.loader import LoadedSweep

__all__ = ["STATE_FILE", "Opening", "SweepState", "count_trials", "open_folder", "read_state",
           "run_identity", "sweep_folder", "tuner_directory"]

FORMAT = 1


@dataclass
class SweepState:
    """What ``lstm_sweep.json`` holds."""

    folder: Path
    sweep_id: str
    config_hash: str
    identity: dict[str, str]
    created: str
    parent_run_id: str | None = None
    tracking_uri: str | None = None
    format: int = FORMAT
    identity_version: int = UNVERSIONED  # absent in files written before versions existed

    def save(self) -> None:
        """Write atomically: a kill -9 mid-write must not leave a half file behind."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in asdict(self).items() if k != "folder"}
        tmp = self.folder / STATE_TMP
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
        os.replace(tmp, self.folder / STATE_FILE)


@dataclass
class Opening:
    """The outcome of opening a sweep folder."""

    state: SweepState
    resumed: bool
    notes: list[str] = field(default_factory=list)
    previous: SweepState | None = None  # what --fresh discarded (its MLflow run gets marked)


def run_identity(config: Any, direction: str, fingerprint: str,
                 model_hash: str | None = None) -> dict[str, str]:
    """The identity this sweep is stored and compared with (``identity.sweep_identity``: the
    settings ``compatibility.MAY_CHANGE`` names are not in it)."""
    return sweep_identity(config, direction, fingerprint, model_hash)


def read_state(folder: Path) -> SweepState | None:
    path = folder / STATE_FILE
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        if isinstance(data, dict) and _newer(data):  # keys this release may not know: kept out
            data = {k: v for k, v in data.items() if k in {f.name for f in fields(SweepState)}}
        return SweepState(folder=folder, **data)
    except (ValueError, TypeError) as exc:
        raise SweepChangedError(f"{path} is unreadable ({exc}); run with --fresh to start the "
                                f"sweep over") from None


def _newer(data: dict[str, Any]) -> bool:
    """Written by a newer lstm-sweep: resuming it is refused (``compatibility.check_version``)
    but ``--fresh`` may still discard it."""
    version = data.get("identity_version")
    return isinstance(version, int) and version > IDENTITY_VERSION


def count_trials(folder: Path) -> int:
    """Trials keras-tuner has on disk (finished or not)."""
    return len(list(folder.glob("trial_*/trial.json")))


def open_folder(folder: Path, identity: dict[str, str], config_hash: str, fresh: bool,
                rerun_hint: str, warm_hint: str | None = None, source: str = "") -> Opening:
    """Resume the sweep in ``folder``, start it, or (``fresh``) discard it and start over.

    Raises ConfigError when the folder is not provably ours (resume/folder_safety.py: nothing
    there is deleted or overwritten), SweepChangedError naming each changed setting when it
    holds another definition of this sweep; ``rerun_hint`` is the command line to suggest,
    ``warm_hint`` the one that starts a new sweep warm-started from this one, ``source`` the
    sweep file for a refusal.
    """
    check_folder(folder, source or rerun_hint)
    existing = read_state(folder)
    notes: list[str] = []
    previous = None
    if fresh and folder.exists():
        trials = count_trials(folder)
        notes.append(f"--fresh: discarded the tuner state in {folder} ({trials} trial"
                     f"{'s' if trials != 1 else ''}); the earlier MLflow runs stay")
        previous = existing
        remove_own_files(folder)
    elif existing is not None:
        changed = changes(existing.identity, existing.identity_version, identity,
                          str(folder / STATE_FILE))
        if changed:
            raise SweepChangedError(_changed_message(folder, changed, rerun_hint, warm_hint))
        if (existing.config_hash, existing.identity_version) != (config_hash, IDENTITY_VERSION):
            # only keys added in a newer lstm-sweep differ, or an older one wrote it: it is
            # this release's sweep from now on
            existing.config_hash, existing.identity = config_hash, identity
            existing.identity_version = IDENTITY_VERSION
            existing.save()
        return Opening(existing, resumed=True)
    state = SweepState(folder=folder, sweep_id=uuid.uuid4().hex, config_hash=config_hash,
                       identity=identity, created=datetime.now(timezone.utc).isoformat(),
                       identity_version=IDENTITY_VERSION)
    state.save()
    return Opening(state, resumed=False, notes=notes, previous=previous)


def _changed_message(folder: Path, changes: list[str], rerun_hint: str,
                     warm_hint: str | None = None) -> str:
    lines = [f"this sweep already exists in {folder} with other settings that change what its "
             f"trials mean:"]
    lines += [f"  {change}" for change in changes]
    lines.append("Resuming would mix trials that cannot be compared.")
    if warm_hint:
        lines.append(f"Start a new sweep that begins with this one's finished trials (those "
                     f"that fit the new settings; none is trained again):\n  {warm_hint}")
    lines.append(f"Or start over with `{rerun_hint} --fresh` (discards the tuner state; the "
                 f"MLflow runs stay), give the sweep a new name, or undo the change. (Changing "
                 f"max_trials, tracking or description is fine.)")
    return "\n".join(lines)


def tuner_directory(loaded: LoadedSweep) -> Path:
    """Where keras-tuner keeps trial state: ``tuner.directory`` or ./.lstm_sweep."""
    configured = loaded.config.tuner.directory
    return Path(configured) if configured else Path(".lstm_sweep")


def sweep_folder(loaded: LoadedSweep) -> Path:
    """The folder of this sweep's state: what resuming reads and ``--fresh`` discards."""
    return folder_of(loaded.config.tuner.directory, loaded.config.name)
