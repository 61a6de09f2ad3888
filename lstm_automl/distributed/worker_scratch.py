"""The temporary tuner folder a Ray actor makes for its worker, removed by whichever of the two
ends last.

The actor removes it when its worker exits; a SIGKILL to the actor skips that, but the worker
gets SIGTERM then (orphan guard) and removes the folder itself on its way out. The worker removes
only the folder its actor named in ``SCRATCH_ENV``, made with ``PREFIX`` in the temporary
directory, and only when the sweep's ``tuner.directory`` is that folder: a folder lstm-sweep made.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["PREFIX", "SCRATCH_ENV", "make_scratch", "remove_own_scratch"]

SCRATCH_ENV = "LSTM_SWEEP_WORKER_SCRATCH"
PREFIX = "lstm-sweep-worker-"


def make_scratch() -> str:
    """A new, empty folder for one worker's tuner state."""
    return tempfile.mkdtemp(prefix=PREFIX)


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
