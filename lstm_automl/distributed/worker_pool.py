"""The workers ``run --workers N`` starts on this machine: started, watched, restarted.

A worker that dies is restarted with the same id, so keras-tuner hands it its unfinished trial
again, after its orphaned run was closed; one that keeps dying stops the sweep. Ray actors
(ray_workers.py) are supervised by the same pool.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from lstm_automl.config.overrides import as_arguments
from lstm_automl.console import QUIET, VERBOSE, Reporter
from lstm_automl.distributed.orphan_guard import guarded_command
from lstm_automl.distributed.process_recycling import RECYCLE_EXIT
from lstm_automl.errors import ConfigError, SweepError
from lstm_automl.model.backend import child_env, packed_gpu_env
from lstm_automl.resume.recovery import reconcile
from lstm_automl.tracking.runs import SweepTracker

__all__ = ["LOCAL", "MAX_RESTARTS", "PARENT_ENV", "SUPERVISED_ENV", "URI_ENV", "Worker",
           "WorkerPool"]

PARENT_ENV = "LSTM_SWEEP_PARENT_RUN_ID"  # the sweep run workers attach their trial runs to
URI_ENV = "LSTM_SWEEP_TRACKING_URI"  # overrides the sweep file's store (the local server)
SUPERVISED_ENV = "LSTM_SWEEP_SUPERVISED"  # set for workers that `run --workers` started
MAX_RESTARTS = 3  # per worker: a worker that keeps dying stops the sweep (resume later)
LOCAL = "127.0.0.1"


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
