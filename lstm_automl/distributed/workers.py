"""Many workers: keras-tuner's distributed mode, supervised.

``run --workers N`` (one machine): this process holds the oracle and serves it on 127.0.0.1
(oracle_server.py), opens the sweep run, and starts N ``lstm-sweep worker`` processes with
unique ids (worker_pool.py: a worker that dies is restarted with the same id, so keras-tuner
hands it its unfinished trial again). ``run --ray`` does the same with Ray actors as the workers
(ray_workers.py). A sqlite store gets a local ``mlflow server`` in front for the sweep's
lifetime, so processes never write one file at once. ``chief`` and ``worker`` are the same two
halves for several machines with a shared server.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import Any, TextIO

from lstm_automl.config.plan import sweep_plan
from lstm_automl.console import QUIET, Reporter
from lstm_automl.data import load_data
from lstm_automl.distributed.mlflow_server import free_port, start_server
from lstm_automl.distributed.oracle_server import OracleServer, quiet_keras_tuner
from lstm_automl.distributed.process_recycling import RECYCLE_EXIT, Segment
from lstm_automl.distributed.ray_workers import RayPool, start_ray
from lstm_automl.distributed.worker_pool import (
    LOCAL,
    PARENT_ENV,
    SUPERVISED_ENV,
    URI_ENV,
    WorkerPool,
)
from lstm_automl.errors import ConfigError, Recycle, SweepError, TrackingError
from lstm_automl.model.python_model import load_builder
from lstm_automl.results.sweep_result import SweepResult
from lstm_automl.resume.compatibility import check_version
from lstm_automl.resume.recovery import OracleTrial
from lstm_automl.session import SweepSession
from lstm_automl.session.prepare import Prepared, config_hash, tuner_directory
from lstm_automl.session.search import (
    consecutive_failures_error,
    make_sweep_tuner,
    recover,
    search_arguments,
    seed_everything,
)
from lstm_automl.sweep_file.loader import LoadedSweep
from lstm_automl.tracking.runs import SweepTracker, named_experiment_ids, sweep_runs
from lstm_automl.tracking.store import (
    check_store,
    disable_telemetry,
    resolve_tracking_uri,
    sqlite_path,
)
from lstm_automl.tracking.tags import CONFIG_HASH_TAG, IDENTITY_VERSION_TAG, SWEEP_NAME_TAG
from lstm_automl.tuning._keras_tuner_private import ended_trial_ids
from lstm_automl.tuning.shared_checkpoints import fetch_missing_checkpoints

POLL = 0.5  # seconds between supervision rounds


# --- run --workers N ---------------------------------------------------------------------------
def run_with_workers(loaded: LoadedSweep, reporter: Reporter, count: int,
                     gpus: list[str] | None, fresh: bool, rerun: str,
                     sweep_file: str) -> SweepResult:
    """Run (or resume) the sweep with ``count`` worker processes on this machine."""
    return run_supervised(loaded, reporter, LOCAL, fresh, rerun, lambda tracker: WorkerPool(
        count, gpus, sweep_file, tracker, reporter, loaded.overrides))


def run_with_ray(loaded: LoadedSweep, reporter: Reporter, address: str, count: int | None,
                 gpus_per_trial: float, fresh: bool, rerun: str,
                 sweep_file: str) -> SweepResult:
    """Run (or resume) the sweep with its workers placed on a Ray cluster (ray_workers.py)."""
    ray, host, count = start_ray(address, count, gpus_per_trial, loaded, reporter)
    try:
        return run_supervised(loaded, reporter, host, fresh, rerun, lambda tracker: RayPool(
            ray, count, gpus_per_trial, sweep_file, tracker, reporter, loaded.overrides, host))
    finally:
        ray.shutdown()


def run_supervised(loaded: LoadedSweep, reporter: Reporter, host: str, fresh: bool, rerun: str,
                   make_pool: Callable[[SweepTracker], WorkerPool]) -> SweepResult:
    """Hold the oracle (served on ``host``) and the sweep run while a pool of workers trains.

    ``host`` is where the workers reach this process: 127.0.0.1 for local processes, the node's
    address for Ray actors on other nodes (a sqlite store's local mlflow server binds it too).
    """
    disable_telemetry()
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # before gRPC loads: no fork notices
    uri = resolve_tracking_uri(loaded.config.tracking.tracking_uri)
    check_store(uri)
    db, server = sqlite_path(uri), None
    if db is not None:
        folder = tuner_directory(loaded)
        folder.mkdir(parents=True, exist_ok=True)
        reporter.line(f"lstm-sweep: starting a local mlflow server for {uri} (several processes "
                      f"must not write one sqlite file)")
        server = start_server(uri, db.resolve().parent / "mlartifacts",
                              folder / f"{loaded.config.name}-mlflow-server.log", host=host)
    try:
        session = SweepSession.prepare(loaded, reporter, fresh, rerun,
                                       via=server.uri if server else None)
        if session.already_complete:
            return session.completed_result()
        session.open()
        pool = make_pool(session.prep.tracker)
        with session.guarded():
            try:
                tuner = _chief_tuner(session)
                _serve(session.prep, reporter, tuner, host, 0, pool)
            finally:
                pool.stop()
            return _finish(session, tuner)
    finally:
        if server is not None:
            server.stop()
            import mlflow

            mlflow.set_tracking_uri(uri)


def _chief_tuner(session: SweepSession) -> Any:
    """The tuner whose oracle the chief serves (it trains nothing itself)."""
    prep, reporter = session.prep, session.reporter
    for key in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
        os.environ.pop(key, None)  # this process holds the real oracle, not a client
    seed_everything(prep)
    tuner = make_sweep_tuner(prep, reporter)
    tuner.oracle.verbose = 0  # keras-tuner's own trial tables stay off the console
    if prep.resumed:
        recover(tuner, prep, reporter)  # before any worker runs
    return tuner


def _finish(session: SweepSession, tuner: Any) -> SweepResult:
    """Step 4 on the chief, with every worker's trials read from the oracle and MLflow."""
    from lstm_automl.session.options import say_why_stopped  # defers keras
    from lstm_automl.tuning.tuners import sweep_records  # defers keras, keras_tuner

    say_why_stopped(tuner, session.reporter)
    fetched = fetch_missing_checkpoints(tuner, session.prep.tracker)  # workers with own folders
    if fetched:
        session.reporter.line(f"  fetched {fetched} trial checkpoint(s) from the tracking server "
                              f"(the workers' folders are not shared)")
    records = sweep_records(tuner.oracle, session.prep.tracker.trial_runs(), [])
    return session.finish(records, tuner)


def _serve(prep: Prepared, reporter: Reporter, tuner: Any, host: str, port: int,
           pool: WorkerPool | None) -> None:
    """Serve the oracle until the sweep ends; supervise local workers or report remote ones."""
    if pool is not None:  # workers first: forking after gRPC started threads is noisy
        port = port or free_port(host)
        pool.start(port, lambda: _oracle_trials(tuner.oracle))
    server = OracleServer(tuner.oracle, host, port)
    watcher = EndWatcher(prep, reporter, tuner.oracle)
    try:
        if pool is None:
            _print_worker_recipe(prep, reporter, host, server.port)
        while True:
            time.sleep(POLL)
            if server.fatal:
                raise consecutive_failures_error(prep, tuner)
            if pool is not None:
                pool.supervise()
                if pool.all_finished():
                    break
            else:
                watcher.report()
                if server.finished():
                    break
        if not server.searching_done():
            raise SweepError("the workers stopped before the sweep ended; run it again to resume")
    finally:
        server.stop()


def _oracle_trials(oracle: Any) -> dict[str, OracleTrial]:
    return {tid: OracleTrial(str(t.status), t.score, t.message)
            for tid, t in list(oracle.trials.items())}


class EndWatcher:
    """The chief's console line for each trial its (remote) workers finish."""

    def __init__(self, prep: Prepared, reporter: Reporter, oracle: Any) -> None:
        self.prep, self.reporter, self.oracle = prep, reporter, oracle
        self.seen = len(ended_trial_ids(oracle))

    def report(self) -> None:
        ended = ended_trial_ids(self.oracle)
        if len(ended) <= self.seen:
            return
        from lstm_automl.tuning.pruning import was_pruned  # defers keras
        from lstm_automl.tuning.tuners import trial_number  # defers keras, keras_tuner

        for tid in ended[self.seen:]:
            trial = self.oracle.trials[tid]
            number = trial_number(tid, 0)
            total = f"/{self.reporter.total}" if self.reporter.total else ""
            result = (f"{self.reporter.objective} {trial.score:.4g}" if trial.score is not None
                      else "no score")
            pruned = was_pruned(trial)
            status = f"pruned at epoch {pruned}" if pruned else str(trial.status).lower()
            self.reporter.line(f"[{number}{total}] trial-{number:03d} {status}: {result}")
        self.seen = len(ended)


# --- chief (several machines) -------------------------------------------------------------------
def run_chief(loaded: LoadedSweep, reporter: Reporter, host: str, port: int, fresh: bool,
              rerun: str) -> SweepResult:
    """Hold the oracle for workers on other machines; evaluate and register at the end."""
    disable_telemetry()
    uri = resolve_tracking_uri(loaded.config.tracking.tracking_uri)
    if not uri.startswith(("http://", "https://", "databricks")):
        raise ConfigError(str(loaded.source or loaded.path), [
            f"tracking.tracking_uri: `lstm-sweep chief` needs a tracking server every worker can "
            f"reach (http://...), not {uri}; for workers on this machine use `lstm-sweep run "
            f"--workers N`, which fronts a sqlite store with a local server"])
    if host != LOCAL:
        reporter.line(f"warning: the oracle listens on {host}:{port or '(a free port)'} without "
                      f"authentication or encryption: anyone who can reach it can take trials "
                      f"and report results. Use it on a trusted network only.", QUIET)
    session = SweepSession.prepare(loaded, reporter, fresh, rerun)
    if session.already_complete:
        return session.completed_result()
    session.open()
    with session.guarded():
        tuner = _chief_tuner(session)
        _serve(session.prep, reporter, tuner, host, port, None)
        return _finish(session, tuner)


def _print_worker_recipe(prep: Prepared, reporter: Reporter, host: str, port: int) -> None:
    address = socket.gethostname() if host in ("0.0.0.0", "::") else host
    source = prep.loaded.source or prep.loaded.path
    reporter.line(f"  oracle listening on {host}:{port}. Start workers (one --id each; a worker "
                  f"restarted with its id resumes its trial):", QUIET)
    reporter.line(f"    lstm-sweep worker {source} --chief {address}:{port} --id NAME", QUIET)
    reporter.line(f"  they attach to sweep run {prep.tracker.parent_run_id} (found by its tags, "
                  f"or set {PARENT_ENV}); the chief ends once every trial has ended", QUIET)


# --- worker ------------------------------------------------------------------------------------
def run_worker(loaded: LoadedSweep, reporter: Reporter, chief: str, worker_id: str,
               tracking_uri: str | None, parent_run_id: str | None, rerun: str) -> int:
    """Take trials from the chief until it says stop; log each under the sweep's run."""

    host, _, port = chief.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError("--chief", [f"expected HOST:PORT, got {chief!r}"])
    quiet_keras_tuner()
    os.environ.update(KERASTUNER_TUNER_ID=worker_id, KERASTUNER_ORACLE_IP=host,
                      KERASTUNER_ORACLE_PORT=port)
    disable_telemetry()
    config = loaded.config
    python = load_builder(loaded)  # model.python: the worker builds with the same function
    data = load_data(loaded)
    uri = (tracking_uri or os.environ.get(URI_ENV)
           or resolve_tracking_uri(config.tracking.tracking_uri))
    check_store(uri)
    ours = config_hash(loaded, data, python)
    tracker = SweepTracker(uri, config.experiment_name)
    tracker.tuner_id = worker_id
    tracker.attach(parent_run_id or os.environ.get(PARENT_ENV)
                   or _running_sweep(tracker, config.name, ours))
    chief_tags = tracker.client.get_run(tracker.parent_run_id).data.tags
    check_version(chief_tags.get(IDENTITY_VERSION_TAG), rerun)  # a newer chief: upgrade first
    theirs = chief_tags.get(CONFIG_HASH_TAG)
    if theirs != ours:
        raise ConfigError(rerun, [f"this worker's sweep (config hash {ours}) differs from "
                                  f"the chief's ({theirs}): use the same sweep file and data"])
    # A worker that `run --workers` supervises hands over to a fresh process every
    # training.recycle_every trials (the pool restarts it with its id).
    segment = Segment(1, time.time()) if os.environ.get(SUPERVISED_ENV) else None
    prep = Prepared(loaded, data, uri, sweep_plan(config), None, tracker, None, rerun,
                    segment=segment, python=python)
    session = SweepSession(prep, reporter)
    session.configure_reporter()
    with session.guarded():
        seed_everything(prep)
        tuner = make_sweep_tuner(prep, reporter)
        args, kwargs = search_arguments(prep, reporter)
        try:
            tuner.search(*args, **kwargs)
        except Recycle:
            return RECYCLE_EXIT
    return 0


def _running_sweep(tracker: SweepTracker, name: str, wanted_hash: str) -> str:
    client = tracker.client
    found = sweep_runs(client, named_experiment_ids(client, tracker.experiment),
                       f"tags.{SWEEP_NAME_TAG} = '{name}' and attributes.status = 'RUNNING'",
                       limit=10)
    if not found:
        raise TrackingError(f"no running sweep run for '{name}' in {tracker.uri}: start the "
                            f"chief first (or set {PARENT_ENV})")
    same = [run for run in found if run.data.tags.get(CONFIG_HASH_TAG) == wanted_hash]
    return str((same or found)[0].info.run_id)


class Prefixed:
    """A text stream that starts every line with the worker's id (workers share a terminal)."""

    def __init__(self, stream: TextIO, prefix: str) -> None:
        self.stream, self.prefix, self.fresh_line = stream, prefix, True

    def write(self, text: str) -> int:
        out = []
        for piece in text.splitlines(keepends=True):
            out.append((self.prefix if self.fresh_line else "") + piece)
            self.fresh_line = piece.endswith("\n")
        self.stream.write("".join(out))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()
