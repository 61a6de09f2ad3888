"""The temporary tuner folder a Ray actor makes for its worker, and its removal.

The actor removes it when its worker exits. A SIGKILL to the actor skips that: its worker (sent
SIGTERM by the orphan guard) removes the folder on its way out when it gets that far, and the
next actor to start on the node removes any folder whose owner file names an actor process
that is gone. Only folders lstm-sweep made are removed: named ``PREFIX...`` in the temporary
directory and holding ``OWNER_FILE`` (the stale sweep), or the one its actor named in
``SCRATCH_ENV`` when it is the sweep's ``tuner.directory`` (the worker).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

__all__ = ["OWNER_FILE", "PREFIX", "SCRATCH_ENV", "make_scratch", "remove_own_scratch",
           "remove_stale_scratch"]

SCRATCH_ENV = "LSTM_SWEEP_WORKER_SCRATCH"
PREFIX = "lstm-sweep-worker-"
OWNER_FILE = "lstm_sweep_actor.pid"


def _owner() -> str:
    """This process as an owner file names it: its pid and host (a temporary directory shared
    by hosts or containers, whose pids mean other processes, is never swept for another's)."""
    return f"{os.getpid()} {socket.gethostname()}"


def make_scratch() -> str:
    """A new folder for one worker's tuner state, holding the pid of the process that made it."""
    folder = tempfile.mkdtemp(prefix=PREFIX)
    (Path(folder) / OWNER_FILE).write_text(_owner())
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def remove_stale_scratch() -> list[Path]:
    """Remove the scratch folders on this node whose making process has died; the removed."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            pid, host = (folder / OWNER_FILE).read_text().split(maxsplit=1)
            owner = int(pid)
        except (OSError, ValueError):
            continue  # not one lstm-sweep made (or being made): leave it
        if host.strip() == socket.gethostname() and not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def remove_own_scratch(tuner_directory: str | Path) -> bool:
    """Remove the worker's scratch folder if the actor made it for this sweep; whether it did."""
    named = os.environ.get(SCRATCH_ENV)
    if not named:
        return False
    folder = Path(named).resolve()
    if folder != Path(tuner_directory).resolve() or not folder.name.startswith(PREFIX) or \
            folder.parent != Path(tempfile.gettempdir()).resolve():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True
