"""Workers placed by Ray: ``run --ray [ADDRESS]``.

Ray only places the workers; keras-tuner still searches. This process holds the oracle and
the sweep run as with ``--workers`` (workers.py ``run_with_ray``); each worker is a Ray actor
with declared resources (one CPU, ``--gpus-per-trial`` of a GPU, which may be a fraction) that
runs the usual ``lstm-sweep worker`` process on its node, in a temporary tuner folder of its
own that it removes when the worker ends. Nothing is shared but the tracking server: workers
upload each trial's checkpoint to its run (tracking/checkpoints.py) and the chief fetches the
ones it needs (tuning/shared_checkpoints.py).

The supervision is ``WorkerPool``'s: Ray restarts nothing itself (``max_restarts=0``); a lost
actor is replaced by a new one with the same worker id, so keras-tuner hands it the trial it
was training, after its orphaned run was closed. ``ray`` is imported only here, and only when
``--ray`` is given.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from lstm_automl.console import QUIET, Reporter
from lstm_automl.distributed.orphan_guard import guarded_command
from lstm_automl.distributed.worker_pool import LOCAL, Worker, WorkerPool
from lstm_automl.distributed.worker_scratch import (
    SCRATCH_ENV,
    make_scratch,
    remove_stale_scratch,
)
from lstm_automl.errors import ConfigError
from lstm_automl.model.backend import packed_gpu_env
from lstm_automl.sweep_file.loader import LoadedSweep
from lstm_automl.tracking.checkpoints import UPLOAD_ENV
from lstm_automl.tracking.runs import SweepTracker
from lstm_automl.tracking.store import first_line

__all__ = ["LOCAL_CLUSTER", "RAY_MISSING", "ActorProcess", "RayPool", "TrialWorkerActor",
           "check_ray_options", "ray_installed", "start_ray"]

LOCAL_CLUSTER = "local"  # --ray without an address: start a Ray instance in this process
RAY_MISSING = ("Ray is not installed; install it with pip install 'lstm-sweep[ray]' "
               "(or pip install 'ray>=2.9')")
LOST = -9  # the exit code a lost actor (killed, its node gone) is reported with
OBJECT_STORE_BYTES = 100 * 1024 * 1024  # a local instance: workers pass no objects through it
MAX_RAY_WORKERS = 256
PLACEMENT_WAIT = 20.0  # seconds the console line waits for the actors to be placed


def start_ray(address: str, count: int | None, gpus_per_trial: float, loaded: LoadedSweep,
              reporter: Reporter) -> tuple[Any, str, int]:
    """Connect to the cluster (or start a local instance): Ray's module, the address the
    workers reach this machine at, and how many workers to start.

    Args:
        address: ``local`` (start a Ray instance here), ``auto`` (the cluster this machine is a
            node of) or a cluster's address (``HOST:PORT``, ``ray://...``).
        count: workers to start (None: as many as the cluster's resources hold at once).
        gpus_per_trial: the GPU share each worker declares (0: none; 0.25: four per GPU).
    """
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")  # every worker's trial lines (read at import)
    if not sys.stdout.isatty():  # no colour codes around the worker prefix in a log file
        os.environ.setdefault("RAY_COLOR_PREFIX", "0")
    ray = _import_ray()
    local = address == LOCAL_CLUSTER
    ours = _sigterm_handler()
    if local:
        ray.init(num_cpus=count or os.cpu_count() or 1, include_dashboard=False,
                 object_store_memory=OBJECT_STORE_BYTES, configure_logging=False,
                 log_to_driver=True)
    else:
        _check_reachable(address)
        try:
            ray.init(address=address, configure_logging=False, log_to_driver=True)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError("--ray", [f"cannot join the Ray cluster at {address}: "
                                        f"{first_line(exc)}"]) from None
    _restore_sigterm(ours)  # ray.init sets its own: SIGTERM must still close the runs
    try:
        host = LOCAL if local else str(ray.util.get_node_ip_address())
        count = count or _cluster_capacity(ray, gpus_per_trial, loaded)
        nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    except BaseException:
        ray.shutdown()
        raise
    where = "a local Ray instance" if local else f"the Ray cluster at {address}"
    reporter.line(f"lstm-sweep: {count} workers on {where} ({nodes} node"
                  f"{'s' if nodes != 1 else ''}; 1 CPU"
                  f"{f', {gpus_per_trial:g} GPU' if gpus_per_trial else ''} each)")
    if host != LOCAL:
        reporter.line(f"warning: the oracle (and a sqlite store's mlflow server) listen on "
                      f"{host} without authentication or encryption, for the cluster's "
                      f"nodes: keep that network private (docs/workers.md, Ray)", QUIET)
    return ray, host, count


def _check_reachable(address: str) -> None:
    """A HOST:PORT that nothing answers on is refused at once (Ray itself retries for minutes)."""
    host, _, port = address.rpartition(":")
    if address.startswith("ray://") or not host or not port.isdigit():
        return  # auto, or Ray Client: Ray says what is wrong
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise ConfigError("--ray", [f"cannot join the Ray cluster at {address}: nothing "
                                    f"answers there ({exc.strerror or exc})"]) from None


def _sigterm_handler() -> Any:
    return signal.getsignal(signal.SIGTERM)


def _restore_sigterm(handler: Any) -> None:
    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: signals were never ours
        pass


def _import_ray() -> Any:
    try:
        import ray  # defers ray
    except ImportError:
        raise ConfigError("--ray", [RAY_MISSING]) from None
    return ray


def _cluster_capacity(ray: Any, gpus_per_trial: float, loaded: LoadedSweep) -> int:
    """As many workers as the cluster runs at once (one CPU each, their GPU share), no more
    than the sweep has trials."""
    resources = ray.cluster_resources()
    count = int(resources.get("CPU", 1))
    if gpus_per_trial:
        gpus = resources.get("GPU", 0)
        if gpus < gpus_per_trial:
            raise ConfigError("--gpus-per-trial", [f"{gpus_per_trial:g} GPU per trial, but the "
                                                   f"Ray cluster has {gpus:g} GPUs"])
        count = min(count, int(gpus / gpus_per_trial + 1e-9))
    tuner = loaded.config.tuner
    if tuner.algorithm != "hyperband":
        count = min(count, tuner.max_trials)
    return max(1, min(count, MAX_RAY_WORKERS))


class RayPool(WorkerPool):
    """``WorkerPool`` whose workers are Ray actors: same ids, same restarts, same end."""

    def __init__(self, ray: Any, count: int, gpus_per_trial: float, sweep_file: str,
                 tracker: SweepTracker, reporter: Reporter, overrides: list[str],
                 host: str) -> None:
        super().__init__(count, None, sweep_file, tracker, reporter, overrides)
        self.ray, self.gpus_per_trial, self.host = ray, gpus_per_trial, host
        self.placed_by = 0.0
        self.actor_class = ray.remote(num_cpus=1, num_gpus=gpus_per_trial, max_restarts=0,
                                      max_concurrency=2)(TrialWorkerActor)

    def worker_env(self, worker: Worker) -> dict[str, str]:
        env = {**super().worker_env(worker), UPLOAD_ENV: "1"}
        for name in ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "TF_CPP_MIN_LOG_LEVEL",
                     "GRPC_VERBOSITY"):
            if name in os.environ:
                env[name] = os.environ[name]
        if self.gpus_per_trial:
            env.update(packed_gpu_env(self.gpus_per_trial))
        return env

    def _spawn(self, worker: Worker) -> None:
        actor = self.actor_class.remote()
        run = actor.run.remote(self.worker_arguments(worker), self.worker_env(worker),
                               os.getcwd())
        worker.process = ActorProcess(self.ray, actor, run, actor.node.remote())

    def start(self, port: int, trials: Any) -> None:
        self.placed_by = time.monotonic() + PLACEMENT_WAIT  # for the console line only
        super().start(port, trials)

    def where(self, worker: Worker) -> str:
        process = worker.process
        if not isinstance(process, ActorProcess):
            return "?"
        return f"node {process.node(max(0.0, self.placed_by - time.monotonic()))}"


class ActorProcess:
    """A worker actor seen as a ``subprocess.Popen`` (``poll``, ``wait``, ``send_signal``,
    ``kill``, ``returncode``), so ``WorkerPool`` supervises it unchanged."""

    def __init__(self, ray: Any, actor: Any, run: Any, node: Any) -> None:
        self.ray, self.actor, self.run, self.node_ref = ray, actor, run, node
        self.returncode: int | None = None

    def node(self, wait: float) -> str:
        """The node's address once the actor runs (waiting at most ``wait`` seconds)."""
        ready, _ = self.ray.wait([self.node_ref], timeout=wait)
        try:
            return str(self.ray.get(ready[0])) if ready else "not placed yet"
        except self.ray.exceptions.RayError:  # lost already: supervision restarts it
            return "lost"

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        ready, _ = self.ray.wait([self.run], timeout=0)
        if not ready:
            return None
        try:
            self.returncode = int(self.ray.get(self.run))
        except self.ray.exceptions.RayError:  # the actor died, or its node
            self.returncode = LOST
        self.ray.kill(self.actor, no_restart=True)  # its resources go back to the cluster
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("ray actor", timeout or 0)
            time.sleep(0.2)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        """Ask the worker process to stop (it closes its trial's run as KILLED)."""
        try:
            self.actor.stop.remote(int(sig))
        except self.ray.exceptions.RayError:
            pass

    def kill(self) -> None:
        self.ray.kill(self.actor, no_restart=True)


class TrialWorkerActor:
    """On a Ray node: one ``lstm-sweep worker`` process in a temporary tuner folder.

    Plain class; ``RayPool`` declares it an actor with the sweep's resources. Two calls may run
    at once (``stop`` while ``run`` waits for the worker).
    """

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None

    def node(self) -> str:
        import ray  # defers ray

        return str(ray.util.get_node_ip_address())

    def run(self, arguments: list[str], env: dict[str, str], cwd: str) -> int:
        """Run the worker until it exits; its exit code. Its folder goes with it."""
        remove_stale_scratch()  # left by an actor killed on this node (worker_scratch.py)
        folder = make_scratch()  # made here: all of it is ours
        try:
            command = guarded_command("lstm_automl", *arguments,
                                      "--set", f"tuner.directory={folder}")
            # The sweep file is named as on the launching machine: from its folder when this
            # node has it, else from this actor's (Ray's working_dir, ray job submit).
            # The worker removes the folder itself if this actor is killed (worker_scratch.py).
            self.child = subprocess.Popen(command, env={**os.environ, **env, SCRATCH_ENV: folder},
                                          cwd=cwd if os.path.isdir(cwd) else None)
            return self.child.wait()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(sig)


def check_ray_options(ray: str | None, gpus_per_trial: float | None, gpus: str | None,
                      sweep_file: str | None, workers: int | None = None) -> None:
    """Refuse what ``--ray`` cannot mean before anything starts (exit 2)."""
    if ray is None:
        if gpus_per_trial is not None:
            raise ConfigError("--gpus-per-trial", ["applies to Ray workers only: add --ray"])
        return
    if workers is not None and not 1 <= workers <= MAX_RAY_WORKERS:
        raise ConfigError("--workers", [f"with --ray, between 1 and {MAX_RAY_WORKERS}, got "
                                        f"{workers}"])
    if gpus:
        raise ConfigError("--gpus", ["with --ray, Ray picks the GPUs: use --gpus-per-trial"])
    if gpus_per_trial is not None and not 0 <= gpus_per_trial <= 8:
        raise ConfigError("--gpus-per-trial", [f"expected a GPU share between 0 and 8 (0.25: "
                                               f"four trials per GPU), got {gpus_per_trial:g}"])
    if sweep_file is None:
        raise ConfigError("ray", ["Ray workers read the sweep from a file; save the dict as YAML "
                                  "and pass its path"])
    if not ray.strip():
        raise ConfigError("--ray", ["expected auto, HOST:PORT or ray://HOST:PORT, got ''"])
    if not ray_installed():
        raise ConfigError("--ray", [RAY_MISSING])


def ray_installed() -> bool:
    """Whether ``import ray`` would find it (without importing it)."""
    try:
        return importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):  # hidden, or a stand-in without a spec
        return False
