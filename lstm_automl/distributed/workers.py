"""Many workers: keras-tuner's distributed mode, supervised.

``run --workers N`` (one machine): this process holds the oracle and serves it on 127.0.0.1
(oracle_server.py), opens the sweep run, and starts N ``lstm-sweep worker`` processes with
unique ids; a worker that dies is restarted with the same id, so keras-tuner hands it its
unfinished trial again (its orphaned run is closed first). A sqlite store gets a local
``mlflow server`` in front for the sweep's lifetime, so processes never write one file at once.
``chief`` and ``worker`` are the same two halves for several machines with a shared server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from lstm_automl.config.overrides import as_arguments
from lstm_automl.config.plan import sweep_plan
from lstm_automl.console import QUIET, VERBOSE, Reporter
from lstm_automl.data import load_data
from lstm_automl.distributed.mlflow_server import free_port, start_server
from lstm_automl.distributed.oracle_server import OracleServer, quiet_keras_tuner
from lstm_automl.distributed.orphan_guard import guarded_command
from lstm_automl.distributed.process_recycling import RECYCLE_EXIT, Segment
from lstm_automl.distributed.shared_checkpoints import fetch_missing_checkpoints
from lstm_automl.errors import ConfigError, Recycle, SweepError, TrackingError
from lstm_automl.model.backend import child_env, packed_gpu_env
from lstm_automl.model.python_model import load_builder
from lstm_automl.results.sweep_result import SweepResult
from lstm_automl.resume.compatibility import check_version
from lstm_automl.resume.recovery import OracleTrial, reconcile
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

PARENT_ENV = "LSTM_SWEEP_PARENT_RUN_ID"  # the sweep run workers attach their trial runs to
URI_ENV = "LSTM_SWEEP_TRACKING_URI"  # overrides the sweep file's store (the local server)
SUPERVISED_ENV = "LSTM_SWEEP_SUPERVISED"  # set for workers that `run --workers` started
MAX_RESTARTS = 3  # per worker: a worker that keeps dying stops the sweep (resume later)
POLL = 0.5  # seconds between supervision rounds
LOCAL = "127.0.0.1"


# --- run --workers N ---------------------------------------------------------------------------
def run_with_workers(loaded: LoadedSweep, reporter: Reporter, count: int,
                     gpus: list[str] | None, fresh: bool, rerun: str,
                     sweep_file: str) -> SweepResult:
    """Run (or resume) the sweep with ``count`` worker processes on this machine."""
    return run_supervised(loaded, reporter, LOCAL, fresh, rerun, lambda tracker: WorkerPool(
        count, gpus, sweep_file, tracker, reporter, loaded.overrides))


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


# --- local worker processes -------------------------------------------------------------------
@dataclass
class Worker:
    worker_id: str
    gpu: str | None = None
    process: Any = None  # a subprocess.Popen, or what stands for one (ray_workers.py)
    restarts: int = 0
    finished: bool = False


class WorkerPool:
    """Starts, watches and restarts this machine's workers."""

    def __init__(self, count: int, gpus: list[str] | None, sweep_file: str,
                 tracker: SweepTracker, reporter: Reporter,
                 overrides: list[str] | None = None) -> None:
        gpus = gpus or []
        self.overrides = overrides or []  # the sweep's --set items: workers load the same sweep
        self.workers = [Worker(f"worker-{i}", gpus[i] if gpus else None) for i in range(count)]
        self.sharing = {gpu: gpus.count(gpu) for gpu in gpus}  # workers per GPU
        self.sweep_file = sweep_file
        self.tracker = tracker
        self.reporter = reporter
        self.host = LOCAL  # where the workers reach the oracle
        self.port = 0
        self.trials: Any = None

    def start(self, port: int, trials: Any) -> None:
        self.port, self.trials = port, trials
        for worker in self.workers:
            self._spawn(worker)
        ids = ", ".join(f"{w.worker_id} ({self.where(w)}"
                        f"{', GPU ' + w.gpu if w.gpu is not None else ''})" for w in self.workers)
        self.reporter.line(f"  oracle on {self.host}:{port}; workers: {ids}")

    def where(self, worker: Worker) -> str:
        """Where the worker runs, for the console (tests read the pid from it)."""
        return f"pid {worker.process.pid if worker.process else '?'}"

    def worker_env(self, worker: Worker) -> dict[str, str]:
        """What a worker's environment adds to its machine's: the sweep run, the oracle, the
        backend (never the whole of this process's environment: it may run elsewhere)."""
        return {**child_env(), PARENT_ENV: str(self.tracker.parent_run_id),
                SUPERVISED_ENV: "1",
                URI_ENV: self.tracker.uri, "KERASTUNER_TUNER_ID": worker.worker_id,
                "KERASTUNER_ORACLE_IP": self.host, "KERASTUNER_ORACLE_PORT": str(self.port)}

    def worker_arguments(self, worker: Worker) -> list[str]:
        """``lstm-sweep``'s arguments for the worker (after ``python -m lstm_automl``)."""
        loud = {QUIET: ["-q"], VERBOSE: ["-v"]}.get(self.reporter.verbosity, [])
        return [*(["--debug"] if self.reporter.debug else []), "worker", self.sweep_file,
                "--chief", f"{self.host}:{self.port}", "--id", worker.worker_id, *loud,
                *as_arguments(self.overrides)]

    def device_env(self, worker: Worker) -> dict[str, str]:
        """The worker's GPU (``--gpus``), and its share of that GPU's memory when several
        workers share it (``--gpus 0,0,0,0``)."""
        if worker.gpu is None:
            return {}
        env = {"CUDA_VISIBLE_DEVICES": worker.gpu}
        sharing = self.sharing.get(worker.gpu, 1)
        if sharing > 1:
            env.update(packed_gpu_env(1 / sharing))
        return env

    def _spawn(self, worker: Worker) -> None:
        env = {**os.environ, **self.worker_env(worker), **self.device_env(worker)}
        command = guarded_command("lstm_automl", *self.worker_arguments(worker))
        worker.process = subprocess.Popen(command, env=env)  # no preexec_fn: see orphan_guard

    def supervise(self) -> None:
        """Restart each worker that died (with its id), after closing its orphaned runs."""
        for worker in self.workers:
            process = worker.process
            if worker.finished or process is None or process.poll() is None:
                continue
            code = process.returncode
            if code == 0:
                worker.finished = True
                continue
            if code == RECYCLE_EXIT:  # ran its share of trials between two trials: go on
                self._spawn(worker)
                continue
            if code == 2:  # a usage, config or data error (its message is above): exit 2 too
                raise ConfigError(self.sweep_file, [f"{worker.worker_id} refused the sweep "
                                                    f"(exit 2; its message is above)"])
            if worker.restarts >= MAX_RESTARTS:
                raise SweepError(f"{worker.worker_id} died {worker.restarts + 1} times (last exit "
                                 f"{code}); the sweep stops here, run it again to resume")
            fixed = reconcile(self.tracker, self.trials(), _objective(self.tracker),
                              tuner_id=worker.worker_id)
            worker.restarts += 1
            self._spawn(worker)
            self.reporter.line(f"  {worker.worker_id} died (exit {code}); restarted "
                               f"({worker.restarts} of {MAX_RESTARTS}); its trial resumes"
                               + (f", {len(fixed.killed)} run(s) marked KILLED"
                                  if fixed.killed else ""))

    def all_finished(self) -> bool:
        return all(worker.finished for worker in self.workers)

    def stop(self, timeout: float = 60.0) -> None:
        """Ask live workers to stop (they close their runs as KILLED), then make sure."""
        live = [w.process for w in self.workers if w.process and w.process.poll() is None]
        for process in live:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        try:
            for process in live:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        except KeyboardInterrupt:  # asked again: do not wait for their cleanup
            for process in live:
                process.kill()
            raise
        finally:
            for process in live:
                if process.poll() is None:
                    process.kill()
                process.wait(timeout=30)


def _objective(tracker: SweepTracker) -> str:
    run = tracker.client.get_run(tracker.parent_run_id)
    return str(run.data.params.get("objective", "val_loss"))


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
