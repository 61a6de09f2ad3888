"""Every use of keras-tuner's private API, in one place.

lstm-sweep needs a few things keras-tuner offers no public hook for: a cheaper model build
between trials, its per-epoch checkpoint writer swapped for one write per trial, a reloaded
oracle that retries exactly the interrupted trials and goes on walking its grid, consecutive
failures counted from this session on, tracebacks of failed trials kept off the console, and the
oracle served to worker processes over keras-tuner's own gRPC protocol. Each is a small named
function or mixin here. The rest of the package calls these and neither touches a keras-tuner
name that starts with an underscore nor imports from keras-tuner's ``src`` package
(tests/tuning/test_keras_tuner_private.py keeps it so).

Checked against keras-tuner 1.4.7 and 1.4.8: their ``engine``, ``tuners`` and ``distribute``
sources are identical (1.4.8 only changed an image-augmentation default), and pyproject.toml
pins ``keras-tuner>=1.4.7,<1.5``. ``PRIVATE_API`` lists every private name used here with the
signature it was written against; the same test checks the installed keras-tuner against it, so
an upgrade that changes one of them fails by name before a sweep misbehaves.

Nothing here imports keras-tuner at module level: importing this module stays cheap.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

__all__ = [
    "PRIVATE_API",
    "FencedTunerMixin",
    "PrivateName",
    "best_epoch_checkpoint",
    "chief_may_exit",
    "checkpoint_path",
    "add_completed_trial",
    "count_failures_from_now",
    "is_duplicate",
    "random_untried_values",
    "running_trials",
    "wrap_objective_check",
    "wrap_random_values",
    "ended_trial_ids",
    "has_queued_retries",
    "hold_queued_retries",
    "has_running_trials",
    "is_worker",
    "rebuild_grid_walk",
    "repair_reloaded_oracle",
    "serve_oracle",
    "servicer_stopped",
    "set_debug",
    "silence_condition_prints",
]


@dataclass(frozen=True)
class PrivateName:
    """One private keras-tuner name this module relies on.

    ``signature`` is ``str(inspect.signature(...))`` for a callable, or ``None`` for a class or
    module attribute, or an attribute every instance gets in ``__init__`` (``instance=True``).
    """

    owner: str  # dotted path of the module or class
    name: str
    signature: str | None = None
    instance: bool = False

    @property
    def path(self) -> str:
        return f"{self.owner}.{self.name}"


_TUNER = "keras_tuner.src.engine.tuner.Tuner"
_ORACLE = "keras_tuner.src.engine.oracle.Oracle"
_GRID = "keras_tuner.src.tuners.gridsearch"
_CHIEF = "keras_tuner.src.distribute.oracle_chief"

PRIVATE_API: tuple[PrivateName, ...] = (
    # FencedTunerMixin overrides the first two and calls the third.
    PrivateName(_TUNER, "_try_build", "(self, hp)"),
    PrivateName(_TUNER, "_build_and_fit_model", "(self, trial, *args, **kwargs)"),
    PrivateName(_TUNER, "_build_hypermodel", "(self, hp)"),
    PrivateName("keras_tuner.src.engine.base_tuner.BaseTuner", "_populate_initial_space",
                "(self)"),
    PrivateName(_TUNER, "_get_checkpoint_fname", "(self, trial_id)"),
    PrivateName("keras_tuner.src.engine.base_tuner.BaseTuner", "_is_worker", "(self)"),
    PrivateName("keras_tuner.src.engine.tuner", "maybe_compute_model_size", "(model)"),
    PrivateName("keras_tuner.src.engine.tuner_utils.SaveBestEpoch", "__init__",
                "(self, objective, filepath)"),
    PrivateName("keras_tuner.src.config", "DEBUG"),
    PrivateName("keras_tuner.src.engine", "conditions"),  # its leftover debug print
    # Oracle state: undocumented attributes, the retry queue and the failure check.
    PrivateName(_ORACLE, "_check_consecutive_failures", "(self)"),
    # Pruning, budgets and start_with wrap these (tuning/oracle_controls.py).
    PrivateName(_ORACLE, "_check_objective_found", "(self, metrics)"),
    PrivateName(_ORACLE, "_duplicate", "(self, values)"),
    PrivateName(_ORACLE, "_random_values", "(self)"),  # and Bayesian search's untried points
    # A warm start adds finished trials of an earlier sweep (tuning/warm_start.py).
    PrivateName(_ORACLE, "_record_values", "(self, trial)"),
    PrivateName(_ORACLE, "_save_trial", "(self, trial)"),
    PrivateName("keras_tuner.src.engine.oracle", "_maybe_infer_direction_from_objective",
                "(objective, metric_name)"),
    PrivateName("keras_tuner.src.engine.trial", "Trial"),
    PrivateName(_ORACLE, "_retry_queue", instance=True),
    PrivateName(_ORACLE, "start_order", instance=True),
    PrivateName(_ORACLE, "end_order", instance=True),
    PrivateName(_ORACLE, "ongoing_trials", instance=True),
    # The grid oracle's in-memory walk, which its saved state lacks.
    PrivateName(f"{_GRID}.GridSearchOracle", "_compare", "(self, a, b)"),
    PrivateName(f"{_GRID}.GridSearchOracle", "_ordered_ids", instance=True),
    PrivateName(f"{_GRID}.GridSearchOracle", "_populate_next", instance=True),
    PrivateName(f"{_GRID}.LinkedList", "insert", "(self, data, data_pre=None)"),
    PrivateName(f"{_GRID}.LinkedList", "_memory", instance=True),
    # The chief's gRPC servicer.
    PrivateName("keras_tuner.src.protos", "get_service_grpc", "()"),
    PrivateName(f"{_CHIEF}.OracleServicer", "__init__", "(self, oracle)"),
    PrivateName(f"{_CHIEF}.OracleServicer", "EndTrial", "(self, request, context)"),
    PrivateName(f"{_CHIEF}.OracleServicer", "stop_triggered", instance=True),
    PrivateName(_CHIEF, "exit_chief", "(*args, **kwargs)"),  # @synchronized(oracle)
)


# --- the tuner ---------------------------------------------------------------------------------
class FencedTunerMixin:
    """Put in front of a keras-tuner ``Tuner``: its private build and fit steps, overridden
    through two public hooks a subclass may redefine."""

    def before_build(self) -> None:
        """Runs before every model build, in place of keras-tuner's ``clear_session()`` and
        two full garbage collections."""

    def before_continuing(self, trial_id: str) -> None:
        """Runs before building a model that loads trial ``trial_id``'s checkpoint (Hyperband's
        later rounds), so a subclass can make sure the files are there."""

    def fit_callbacks(self, callbacks: list[Any]) -> list[Any]:
        """The callbacks keras-tuner hands to one execution's fit (its checkpoint writer
        among them), to keep or replace."""
        return callbacks

    def _populate_initial_space(self) -> None:
        """keras-tuner builds the model on the default values to learn the space before the
        first trial; a build that fails there (a configuration that cannot work, or a model
        function that always raises) fails trials later, where it is recorded, instead of
        stopping the sweep as an unexpected error. The space is then learnt trial by trial."""
        import keras_tuner as kt

        try:
            super()._populate_initial_space()  # type: ignore[misc]
        except kt.errors.FailedTrialError:
            pass

    def _try_build(self, hp: Any) -> Any:
        import keras
        import keras_tuner as kt
        from keras_tuner.src.engine.tuner import maybe_compute_model_size

        self.before_build()
        parent = hp.values.get("tuner/trial_id")  # Hyperband: this trial goes on from that one
        if parent:
            self.before_continuing(str(parent))
        model = self._build_hypermodel(hp)  # type: ignore[attr-defined]
        if not isinstance(model, keras.models.Model):
            raise kt.errors.FatalTypeError(
                f"Expected HyperModel.build() to return a Keras Model, got {type(model)}")
        limit = getattr(self, "max_model_size", None)
        if limit and maybe_compute_model_size(model) > limit:
            raise kt.errors.FailedTrialError(f"Oversized model: more than {limit} parameters")
        return model

    def _build_and_fit_model(self, trial: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["callbacks"] = self.fit_callbacks(list(kwargs.get("callbacks", [])))
        return super()._build_and_fit_model(trial, *args, **kwargs)  # type: ignore[misc]


# --- the oracle's hooks (tuning/oracle_controls.py) ---------------------------------------------
def wrap_objective_check(oracle: Any, accept: Callable[[Any], bool]) -> None:
    """Let ``update_trial`` take metrics that ``accept`` approves without the objective
    (keras-tuner insists every report names it)."""
    original = oracle._check_objective_found

    def check(metrics: Any) -> None:
        if not accept(metrics):
            original(metrics)

    oracle._check_objective_found = check


def is_duplicate(oracle: Any, values: dict[str, Any]) -> bool:
    """Whether the oracle already tried exactly these hyperparameter values."""
    return bool(oracle._duplicate(values))


def random_untried_values(oracle: Any) -> dict[str, Any] | None:
    """Random values the oracle has not tried yet (None: it found none in its 20 draws)."""
    values = oracle._random_values()
    return None if values is None else dict(values)


def running_trials(oracle: Any) -> list[Any]:
    """The trials handed out and not yet ended (other workers' trials, in distributed mode)."""
    return list(oracle.ongoing_trials.values())


def wrap_random_values(oracle: Any, first: Callable[[], dict[str, Any] | None]) -> None:
    """Hyperband's new candidates: ``first()`` while it has values, then its own sampling."""
    sample = oracle._random_values

    def random_values() -> dict[str, Any] | None:
        return first() or sample()

    oracle._random_values = random_values


def add_completed_trial(oracle: Any, values: dict[str, Any], metrics: dict[str, float],
                        score: float) -> str:
    """A COMPLETED trial with these values and metrics (step 0), recorded and saved as if it
    had run: the oracle will not propose its values again and Bayesian search learns from it."""
    from keras_tuner.src.engine import trial as trial_module
    from keras_tuner.src.engine.oracle import _maybe_infer_direction_from_objective

    width = len(str(oracle.max_trials))
    trial_id = f"{{:0{width}d}}".format(len(oracle.trials))
    hps = oracle.hyperparameters.copy()
    hps.values = values
    trial = trial_module.Trial(hyperparameters=hps, trial_id=trial_id,
                               status=trial_module.TrialStatus.COMPLETED)
    for name, value in metrics.items():
        if not trial.metrics.exists(name):
            trial.metrics.register(name, direction=_maybe_infer_direction_from_objective(
                oracle.objective, name))
        trial.metrics.update(name, value, step=0)
    trial.score, trial.best_step = score, 0
    oracle.trials[trial_id] = trial
    oracle.start_order.append(trial_id)
    oracle.end_order.append(trial_id)
    oracle._record_values(trial)
    oracle._save_trial(trial)
    return trial_id


def is_worker(tuner: Any) -> bool:
    """True in a worker process of keras-tuner's distributed mode (the oracle is remote)."""
    return bool(tuner._is_worker())


def checkpoint_path(tuner: Any, trial_id: str) -> str:
    """Where keras-tuner keeps a trial's best weights (Hyperband's next rounds read it too)."""
    return str(tuner._get_checkpoint_fname(trial_id))


def best_epoch_checkpoint(callback: Any) -> tuple[Any, str] | None:
    """(objective, file) when ``callback`` is keras-tuner's per-epoch checkpoint writer."""
    from keras_tuner.src.engine.tuner_utils import SaveBestEpoch

    if type(callback) is not SaveBestEpoch:
        return None
    return callback.objective, str(callback.filepath)


def set_debug(print_tracebacks: bool) -> None:
    """Whether keras-tuner prints every failed trial's traceback to stderr (its default)."""
    from keras_tuner.src import config

    config.DEBUG = print_tracebacks


def silence_condition_prints() -> None:
    """keras-tuner 1.4 prints a condition's first value on every gRPC trial message (a left
    over debug ``print`` in its conditions module): silence that module's print, nothing else."""
    from keras_tuner.src.engine import conditions

    conditions.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]


# --- the oracle --------------------------------------------------------------------------------
ENDED = ("COMPLETED", "FAILED", "INVALID", "STOPPED")
DONE = ("COMPLETED", "FAILED")


def ended_trial_ids(oracle: Any) -> list[str]:
    """Trial ids in the order their trials ended (a copy)."""
    return list(oracle.end_order)


def has_queued_retries(oracle: Any) -> bool:
    """Interrupted trials wait to be retried (False for a worker's remote oracle)."""
    return bool(getattr(oracle, "_retry_queue", None))


def hold_queued_retries(oracle: Any) -> list[str]:
    """Empty the retry queue (a sweep that must stop starts no retried trial either); the held
    trials stay unfinished in the oracle's state, so a later resume queues them again
    (``repair_reloaded_oracle``). Returns the held trial ids."""
    held = list(getattr(oracle, "_retry_queue", None) or [])
    if held:
        oracle._retry_queue = []
    return held


def has_running_trials(oracle: Any) -> bool:
    return bool(oracle.ongoing_trials)


def repair_reloaded_oracle(oracle: Any) -> list[str]:
    """Make a reloaded oracle retry exactly the trials that did not finish.

    keras-tuner 1.4 sends the trials that were ongoing when the process died to the retry
    queue. A kill between its two writes can leave a finished trial queued (it would train
    twice) or a started one outside the queue (it would never run). Returns the trial ids queued.
    """
    queue = [tid for tid in oracle._retry_queue if str(oracle.trials[tid].status) not in DONE]
    for tid in oracle._retry_queue:
        if str(oracle.trials[tid].status) in DONE and tid not in oracle.end_order:
            oracle.end_order.append(tid)
    for tid, trial in oracle.trials.items():
        if str(trial.status) == "RUNNING" and tid not in queue:
            queue.append(tid)
            if tid not in oracle.start_order:
                oracle.start_order.append(tid)
    # create_trial pops from the end: keep the earliest trial last so it is retried first.
    oracle._retry_queue = sorted(queue, key=_trial_order, reverse=True)
    return sorted(queue, key=_trial_order)


def _trial_order(trial_id: str) -> tuple[int, str]:
    return (int(trial_id), trial_id) if trial_id.isdigit() else (1 << 30, trial_id)


def rebuild_grid_walk(oracle: Any) -> int:
    """Let a reloaded grid oracle go on where it stopped; returns how many trials it now knows
    (0: not a grid oracle, or nothing to rebuild).

    ``GridSearchOracle`` walks the grid with two in-memory structures (the tried combinations in
    grid order, and the trials whose next combination is still to be made) that its saved state
    does not contain. After a reload both are empty and the oracle answers "STOPPED" at once: an
    interrupted grid sweep never resumed and a raised ``max_trials`` added nothing. Rebuilding
    both from the reloaded trials is all it needs to go on and never repeat a combination.
    """
    ordered = getattr(oracle, "_ordered_ids", None)
    pending = getattr(oracle, "_populate_next", None)
    if ordered is None or pending is None or ordered._memory or not oracle.trials:
        return 0
    ids = [tid for tid in oracle.start_order if tid in oracle.trials]

    def by_grid_order(a: str, b: str) -> int:
        return int(oracle._compare(oracle.trials[a].hyperparameters.values,
                                   oracle.trials[b].hyperparameters.values))

    for tid in sorted(ids, key=cmp_to_key(by_grid_order)):
        ordered.insert(tid)
    # Every ended trial may have an untried successor; the oracle skips those already tried.
    pending.extend(tid for tid in ids if str(oracle.trials[tid].status) in ENDED)
    return len(ids)


def count_failures_from_now(oracle: Any) -> None:
    """Count consecutive failures from this session on, not from the start of the sweep.

    keras-tuner scans the whole history: once a sweep stopped after N failures in a row, every
    later trial would stop it again, and resuming it would run one trial at a time.
    """
    start = len(oracle.end_order)
    original: Callable[[Any], None] = type(oracle)._check_consecutive_failures

    def check(self: Any) -> None:
        history = self.end_order
        self.end_order = history[start:]
        try:
            original(self)
        finally:
            self.end_order = history

    oracle._check_consecutive_failures = types.MethodType(check, oracle)


# --- the chief's gRPC servicer -----------------------------------------------------------------
def serve_oracle(server: Any, oracle: Any) -> Any:
    """Add keras-tuner's oracle servicer for ``oracle`` to a gRPC ``server`` and return it.

    Its ``fatal`` attribute holds the first line of the error that made the oracle stop the
    sweep (too many failures in a row), which keras-tuner would only raise inside gRPC.
    """
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_chief

    class Servicer(oracle_chief.OracleServicer):  # type: ignore[misc,name-defined]
        fatal: str | None = None

        def EndTrial(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC name)
            try:
                return super().EndTrial(request, context)
            except RuntimeError as exc:  # too many failures in a row: tell the launcher
                self.fatal = str(exc).strip().splitlines()[0]
                raise

    servicer = Servicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    return servicer


def servicer_stopped(servicer: Any) -> bool:
    """The oracle told a worker there is nothing more to try."""
    return bool(servicer.stop_triggered)


def chief_may_exit(oracle: Any) -> bool:
    """No trial running and every worker told to stop (keras-tuner's own chief's test)."""
    from keras_tuner.src.distribute import oracle_chief

    return bool(oracle_chief.exit_chief(oracle))
