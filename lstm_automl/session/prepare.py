"""Step 1 of a sweep: check everything that can be refused, before TensorFlow or any MLflow run.

The sweep file is already valid (sweep_file/loader.py); here the model file, the data and every
searched data variant load, the tracking store answers, and the sweep folder says whether this
is a new sweep, a resume, or a changed definition that must not be resumed (resume/).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_automl.config.names import direction as objective_direction
from lstm_automl.config.overrides import shell_suffix
from lstm_automl.config.plan import SweepPlan, sweep_plan
from lstm_automl.data import SweepData, load_data, load_variants
from lstm_automl.model.python_model import PythonBuilder, check_names, file_hash, load_builder
from lstm_automl.resume.folder_safety import check_folder
from lstm_automl.resume.identity import data_fingerprint, identity_hash
from lstm_automl.resume.segment import Segment, current_segment
from lstm_automl.resume.state_folder import (
    Opening,
    open_folder,
    run_identity,
    sweep_folder,
    tuner_directory,
)
from lstm_automl.sweep_file.data_checks import add_data_notes
from lstm_automl.sweep_file.loader import LoadedSweep
from lstm_automl.tracking.runs import SweepTracker
from lstm_automl.tracking.store import (
    artifact_location,
    check_store,
    disable_telemetry,
    resolve_tracking_uri,
)
from lstm_automl.tracking.tags import MAX_TRIALS_TAG
from lstm_automl.tuning.warm_start import read_earlier

__all__ = ["Prepared", "config_hash", "is_complete", "prepare", "python_hash", "sweep_direction",
           "sweep_folder", "tuner_directory"]


@dataclass
class Prepared:
    """A sweep checked and opened, before TensorFlow loads: what every mode starts from."""

    loaded: LoadedSweep
    data: SweepData
    uri: str  # the store as configured (what users see and open)
    plan: SweepPlan  # the config resolved once (config/plan.py): what the later steps read
    opening: Opening | None  # None in a worker: the launching process owns the folder
    tracker: SweepTracker  # talks to ``via`` when a local server fronts the store
    parent: Any | None  # the existing sweep run when resuming
    rerun: str
    variants: Any = None  # ForecastVariants when the data section searches settings
    segment: Segment | None = None  # set in a child of the recycling supervisor
    python: PythonBuilder | None = None  # model.python's function builds the trials
    warm_start: Any = None  # tuner.warm_start's earlier sweep (tuning/warm_start.Earlier)

    @property
    def direction(self) -> str:
        """``min`` or ``max``: the objective's direction, as the plan resolved it."""
        return self.plan.direction

    @property
    def resumed(self) -> bool:
        return self.opening is not None and self.opening.resumed

    @property
    def continues(self) -> bool:
        """A recycled process that goes on where the previous one stopped (prints nothing new)."""
        return self.segment is not None and self.segment.continues

    @property
    def already_complete(self) -> bool:
        return self.parent is not None and is_complete(self.parent, self.plan)


def prepare(loaded: LoadedSweep, fresh: bool = False, rerun: str | None = None,
            via: str | None = None) -> Prepared:
    """Load data, check the store, open the sweep folder and find its sweep run.

    Args:
        loaded: the checked sweep file.
        fresh: discard the tuner state and start over.
        rerun: the command line that runs this sweep again, for messages.
        via: the URI to talk to instead of the store itself (a local server in front of it).

    Returns:
        Everything the later steps need; raises ``ConfigError``, ``DataError`` or
        ``TrackingError`` before any MLflow run or sweep folder is created.
    """
    config = loaded.config
    source = loaded.source or str(loaded.path)
    check_folder(sweep_folder(loaded), source)  # a folder not ours: refused before anything
    python = load_builder(loaded)  # a broken model file stops here: no run, no folder yet
    data = load_data(loaded)
    loaded.notes.extend(check_names(python, config, data.model_shape()))  # the hp name trap
    variants = load_variants(loaded)  # every searched data variant is checked before training
    add_data_notes(loaded, data, variants)  # the run header prints them with the loader's notes
    disable_telemetry()
    uri = resolve_tracking_uri(config.tracking.tracking_uri)
    check_store(uri)
    plan = sweep_plan(config)
    direction = plan.direction
    identity = run_identity(config, direction, data_fingerprint(data), python_hash(python))
    rerun = rerun or (f"lstm-sweep run {loaded.source or loaded.path}"
                      f"{shell_suffix(loaded.overrides)}")
    earlier = find_warm_start(loaded, uri, direction)  # before anything is created
    opening = open_folder(sweep_folder(loaded), identity, identity_hash(identity), fresh, rerun,
                          warm_start_command(loaded, rerun), source)
    tracker = SweepTracker(via or uri, config.experiment_name,
                           artifact_root=artifact_location(uri, config.experiment_name))
    state = opening.state
    parent = tracker.find_sweep(state.sweep_id, state.parent_run_id) if opening.resumed else None
    return Prepared(loaded, data, uri, plan, opening, tracker, parent, rerun, variants,
                    current_segment(), python, earlier)


def find_warm_start(loaded: LoadedSweep, uri: str, direction: str) -> Any:
    """``tuner.warm_start``'s earlier sweep read from the store, or None when not set; an
    unknown name or another objective is a config error (tuning/warm_start.py)."""
    name = loaded.config.tuner.warm_start
    if name is None:
        return None
    from mlflow import MlflowClient

    config = loaded.config
    return read_earlier(MlflowClient(tracking_uri=uri), name, config.experiment_name,
                        config.tuner.objective, direction == "min",
                        str(loaded.source or loaded.path), config.data.source)


def warm_start_command(loaded: LoadedSweep, rerun: str) -> str:
    """The command that starts a new sweep warm-started from this one, beside it (same
    experiment and registered model), for the message that refuses a changed sweep."""
    config = loaded.config
    folder = sweep_folder(loaded)
    number = 2
    while (folder.parent / f"{config.name}-{number}").exists():
        number += 1
    extra = [f"name={config.name}-{number}", f"tuner.warm_start={config.name}"]
    if config.tracking.experiment is None:
        extra.append(f"tracking.experiment={config.experiment_name}")
    if config.tracking.register_as is None:
        extra.append(f"tracking.register_as={config.model_name}")
    return rerun + shell_suffix(extra)


def config_hash(loaded: LoadedSweep, data: SweepData, python: PythonBuilder | None) -> str:
    """The hash that says two processes run the same sweep (a worker and its chief)."""
    identity = run_identity(loaded.config, sweep_direction(loaded), data_fingerprint(data),
                            python_hash(python))
    return identity_hash(identity)


def python_hash(python: PythonBuilder | None) -> str | None:
    """The content hash of the sweep's model file, for its identity (None: built-in network)."""
    return None if python is None else file_hash(python.ref)


def sweep_direction(loaded: LoadedSweep) -> str:
    """``tuner.direction``, else the objective's natural one (config/names.py decides)."""
    tuner = loaded.config.tuner
    return objective_direction(tuner.objective, tuner.direction)


def is_complete(parent: Any, plan: SweepPlan) -> bool:
    """Finished, and not asked for more trials than it had when it finished (``max_trials``
    may change on resume: resume/compatibility.py)."""
    if parent.info.status != "FINISHED":
        return False
    if plan.algorithm == "hyperband":
        return True
    had = parent.data.tags.get(MAX_TRIALS_TAG, "0")
    return int(had) >= plan.max_trials if had.isdigit() else False
