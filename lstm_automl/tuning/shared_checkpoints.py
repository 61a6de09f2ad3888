"""Trial checkpoints that a worker wrote in a folder this process cannot read, fetched from
the trial's run.

Ray actors train in temporary folders on their own nodes and upload each scored trial's
checkpoint files to the trial's run (tracking/checkpoints.py). Before the final evaluation the
chief downloads the ones missing from its own tuner folder, and a worker continuing a Hyperband
trial downloads its parent's, to the paths keras-tuner reads them from, so ``load_model``,
ensembles, blends and Hyperband work as if the folder were shared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lstm_automl.tracking.checkpoints import download_trial_file
from lstm_automl.tracking.runs import SweepTracker
from lstm_automl.tracking.tags import TRIAL_ID_TAG
from lstm_automl.tuning._keras_tuner_private import checkpoint_path

__all__ = ["BUILD_CONFIG", "fetch_missing_checkpoints", "fetch_trial_files", "trial_files"]

BUILD_CONFIG = "build_config.json"  # keras-tuner's, beside the weights in the trial's folder


def trial_files(tuner: Any, trial_id: str) -> list[Path]:
    """The files a trial's model is loaded from: its weights and its build config."""
    weights = Path(checkpoint_path(tuner, trial_id))
    return [weights, weights.parent / BUILD_CONFIG]


def fetch_missing_checkpoints(tuner: Any, tracker: SweepTracker) -> int:
    """Download every scored trial's checkpoint this process lacks; how many trials it fetched.

    Trials without uploaded files are left for ``finish`` to report.
    """
    oracle = tuner.oracle
    scored = oracle.get_best_trials(max(1, len(oracle.trials)))
    return fetch_trial_files(tuner, tracker, [t.trial_id for t in scored])


def fetch_trial_files(tuner: Any, tracker: SweepTracker, trial_ids: list[str]) -> int:
    """Download the files of these trials that are missing here; how many trials got some.

    A trial's newest finished run holds them (an earlier attempt was killed before it uploaded).
    """
    missing = {tid: [p for p in trial_files(tuner, tid) if not p.exists()] for tid in trial_ids}
    missing = {tid: paths for tid, paths in missing.items() if paths}
    if not missing:
        return 0
    newest: dict[str, Any] = {}
    for run in tracker.trial_runs():
        tid = run.data.tags.get(TRIAL_ID_TAG, "")
        if tid in missing and run.info.status == "FINISHED" and (
                tid not in newest or run.info.start_time > newest[tid].info.start_time):
            newest[tid] = run
    fetched = 0
    for tid, paths in missing.items():
        run = newest.get(tid)
        if run is None:
            continue
        got = [download_trial_file(tracker.client, tracker.uri, run.info.run_id, path)
               for path in paths]
        fetched += any(got)
    return fetched
