"""A trial's checkpoint through the tracking server, for workers that share no folder with the
chief.

The chief evaluates and registers the best trial from the checkpoint keras-tuner wrote in the
trial's folder (the weights, and the build config Keras 3 rebuilds the model from). Workers on
other machines (``run --ray``) write into folders of their own, so each one also uploads those
files to its trial's run (artifact folder ``checkpoint/``), and whoever lacks them (the chief
before the final model, a worker continuing a Hyperband trial) downloads them from there: the
tracking server is then the only thing every machine has to reach.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from lstm_automl.tracking.store import tracking_call

__all__ = ["ARTIFACT_FOLDER", "UPLOAD_ENV", "download_trial_file", "upload_trial_files",
           "uploads_checkpoints"]

ARTIFACT_FOLDER = "checkpoint"
UPLOAD_ENV = "LSTM_SWEEP_UPLOAD_CHECKPOINTS"  # "1": this worker shares no folder with the chief


def uploads_checkpoints() -> bool:
    """Whether this process (a worker the chief cannot read the folder of) uploads them."""
    return os.environ.get(UPLOAD_ENV) == "1"


def upload_trial_files(client: Any, uri: str, run_id: str, paths: list[Path]) -> None:
    """Log the trial's checkpoint files as artifacts of its run."""
    with tracking_call(uri, f"uploading the checkpoint of run {run_id}"):
        for path in paths:
            client.log_artifact(run_id, str(path), artifact_path=ARTIFACT_FOLDER)


def download_trial_file(client: Any, uri: str, run_id: str, target: Path) -> bool:
    """Put the run's uploaded file named like ``target`` at ``target``; False when the run has
    none.

    It is downloaded into a temporary folder beside ``target`` and moved into place, so a
    broken download never leaves a half file that keras-tuner would read as a checkpoint.
    """
    with tracking_call(uri, f"listing the checkpoint of run {run_id}"):
        names = [Path(item.path).name for item in client.list_artifacts(run_id, ARTIFACT_FOLDER)]
    if target.name not in names:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as scratch:
        with tracking_call(uri, f"downloading the checkpoint of run {run_id}"):
            local = client.download_artifacts(run_id, f"{ARTIFACT_FOLDER}/{target.name}",
                                              scratch)
        shutil.move(local, target)
    return True
