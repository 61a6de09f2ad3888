"""The chief's copy of the checkpoints its workers wrote in folders it cannot read.

Ray actors train in temporary folders on their own nodes and upload each scored trial's
checkpoint to the trial's run (tracking/checkpoints.py). Before the final evaluation the chief
downloads the ones missing from its own tuner folder, to the path keras-tuner reads them from,
so ``load_model``, ensembles and blends work as if the folder were shared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lstm_automl.tracking.checkpoints import download_checkpoint
from lstm_automl.tracking.runs import SweepTracker
from lstm_automl.tracking.tags import TRIAL_ID_TAG
from lstm_automl.tuning._keras_tuner_private import checkpoint_path

__all__ = ["fetch_missing_checkpoints"]


def fetch_missing_checkpoints(tuner: Any, tracker: SweepTracker) -> int:
    """Download every scored trial's checkpoint this process lacks; how many it fetched.

    A trial's newest finished run holds its checkpoint (an earlier attempt was killed before
    it uploaded one). Trials without an uploaded checkpoint are left for ``finish`` to report.
    """
    oracle = tuner.oracle
    scored = oracle.get_best_trials(max(1, len(oracle.trials)))
    missing = [t.trial_id for t in scored if not Path(checkpoint_path(tuner, t.trial_id)).exists()]
    if not missing:
        return 0
    newest: dict[str, Any] = {}
    for run in tracker.trial_runs():
        tid = run.data.tags.get(TRIAL_ID_TAG, "")
        if run.info.status == "FINISHED" and (
                tid not in newest or run.info.start_time > newest[tid].info.start_time):
            newest[tid] = run
    fetched = 0
    for tid in missing:
        run = newest.get(tid)
        target = Path(checkpoint_path(tuner, tid))
        if run is not None and download_checkpoint(tracker.client, tracker.uri,
                                                   run.info.run_id, target):
            fetched += 1
    return fetched
