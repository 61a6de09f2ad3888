"""Every MLflow tag lstm-sweep writes, in one place: what resume, workers and reports read back.

Plain constants, no MLflow import, so that light modules (the verdict, the console, reports that
only format) can name tags without loading the tracking client.
"""

from __future__ import annotations

__all__ = [
    "ATTEMPT_TAG", "BACKEND_TAG", "BASELINE_LABEL_TAG", "BEATS_BASELINES_TAG", "BEST_TRIAL_TAG",
    "CHAMPION_DECISION_TAG", "CONFIG_HASH_TAG", "DEADLINE_TAG", "FAILURE_TAG", "FINAL_MODEL_TAG",
    "IDENTITY_VERSION_TAG", "KERNEL_TAG", "KIND_TAG", "MAX_TRIALS_TAG", "MODEL_BACKEND_TAG",
    "ORPHAN_TAG", "OVERRIDES_TAG", "PARENT_TAG", "PROCESSES_TAG", "RECOVERED_TAG",
    "REGISTERED_FOR_TAG", "REGISTERED_TAG", "REGISTRATION_TAG", "SOURCE_RUN_TAG", "STATUS_TAG",
    "STOPPED_TAG", "STRONGEST_TAG", "SUPERSEDED_BY_TAG", "SWEEP_FILE_TAG", "SWEEP_ID_TAG",
    "SWEEP_NAME_TAG", "TASK_TAG", "TRIAL_ID_TAG", "TRIAL_NUMBER_TAG", "TUNER_ID_TAG", "VERDICT_TAG",
]

# Which runs are ours, and how they nest (MLflow's own parent tag).
KIND_TAG = "lstm_sweep.kind"  # "sweep" | "trial"
PARENT_TAG = "mlflow.parentRunId"

# The sweep run: which sweep folder it belongs to and how far it got (resume/).
SWEEP_ID_TAG = "lstm_sweep.sweep_id"
CONFIG_HASH_TAG = "lstm_sweep.config_hash"
IDENTITY_VERSION_TAG = "lstm_sweep.identity_version"  # resume/compatibility.py's rules it obeys
MAX_TRIALS_TAG = "lstm_sweep.max_trials"  # params cannot change; a raised budget is a tag
PROCESSES_TAG = "lstm_sweep.processes"  # a recycled sweep: the processes it ran in so far
OVERRIDES_TAG = "lstm_sweep.overrides"  # the --set items of the run that opened or resumed it
DEADLINE_TAG = "lstm_sweep.deadline"  # tuner.max_time: when every process stops starting trials
SUPERSEDED_BY_TAG = "lstm_sweep.superseded_by"  # a sweep discarded by --fresh → the new run
REGISTERED_TAG = "lstm_sweep.registered_version"
REGISTERED_FOR_TAG = "lstm_sweep.registered_for"  # "<best trial id>/<trials>": register once
SWEEP_NAME_TAG = "sweep"
SWEEP_FILE_TAG = "sweep_file"
TASK_TAG = "task"
BEST_TRIAL_TAG = "best_trial"
FINAL_MODEL_TAG = "lstm_sweep.final_model"
BLEND_TAG = "lstm_sweep.blend"  # final_model.blend: each member's weight, "trial-003 0.40, ..."
BLEND_RULE_TAG = "lstm_sweep.blend_rule"  # how the weights were chosen, in a few words
NETWORK_ALONE_TAG = "lstm_sweep.network_alone"  # a blend's networks alone: "rmse 15.2"

# The verdict on the champion (results/verdict.py), on the sweep run and the model version.
VERDICT_TAG = "lstm_sweep.verdict"  # "beats sarima" | "loses to sarima" | "no baseline"
STRONGEST_TAG = "lstm_sweep.strongest_baseline"  # its name, e.g. "sarima"
BASELINE_LABEL_TAG = "lstm_sweep.baseline."  # + name: what the baseline is, e.g. "AR(9)"
BEATS_BASELINES_TAG = "beats_baselines"
SOURCE_RUN_TAG = "source_run_id"  # on a model version: the sweep run that registered it
MODEL_BACKEND_TAG = "lstm_sweep.backend"  # on a model version: the Keras backend it trained on
# On a model version, so that a finish killed mid-registration completes its version on resume
# instead of adding another: REGISTERED_FOR_TAG and SOURCE_RUN_TAG from its creation on, the
# alias decision before the alias moves, and "complete" once tags and description are written.
CHAMPION_DECISION_TAG = "lstm_sweep.champion_decision"  # "yes: <why>" | "no: <why>"
REGISTRATION_TAG = "lstm_sweep.registration"  # "complete"

# Trial runs.
TRIAL_ID_TAG = "trial_id"
TRIAL_NUMBER_TAG = "trial_number"
STATUS_TAG = "status"  # completed | failed | interrupted | ...
FAILURE_TAG = "failure"  # the one line that says why
ATTEMPT_TAG = "lstm_sweep.attempt"  # > 1: an interrupted trial retried
STOPPED_TAG = "lstm_sweep.stopped"  # a trial that ended early: pruned, or at a time limit
TUNER_ID_TAG = "lstm_sweep.tuner_id"  # the worker that ran it (distributed mode)
KERNEL_TAG = "kernel"  # cudnn | generic | cpu (model/kernel_tags.py)
BACKEND_TAG = "backend"  # tensorflow | jax | torch, on the sweep run and each trial run
ORPHAN_TAG = "lstm_sweep.orphaned"  # closed after an interruption (resume/recovery.py)
RECOVERED_TAG = "lstm_sweep.recovered"  # closed with the tuner's result after an interruption
