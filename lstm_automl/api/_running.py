"""One sweep run from start to result, for ``lstm_automl.run`` and ``lstm-sweep run`` alike:
backend, workers or the recycling supervisor, signals, the session, the closing lines.

Moved here from commands/run.py so that the command line is a thin driver over the Python API.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lstm_automl import interrupts
from lstm_automl.config.overrides import as_arguments, shell_suffix
from lstm_automl.console import NORMAL, QUIET, VERBOSE, Reporter, interrupted_message, print_result
from lstm_automl.distributed.process_recycling import (
    RECYCLE_EXIT,
    current_segment,
    needs_supervisor,
    supervise,
)
from lstm_automl.distributed.ray_workers import check_ray_options
from lstm_automl.distributed.workers import run_with_ray, run_with_workers
from lstm_automl.errors import ConfigError, LstmSweepError, Recycle, SweepInterrupted
from lstm_automl.framework_logs import import_frameworks_quietly, quiet_frameworks
from lstm_automl.model.backend import select_backend
from lstm_automl.model.backend_costs import work_of
from lstm_automl.resume.folder_safety import check_sweep_file_folder
from lstm_automl.session import run_sweep, sweep_folder
from lstm_automl.sweep_file.loader import LoadedSweep

if TYPE_CHECKING:
    from lstm_automl.results.sweep_result import SweepResult as RawResult

__all__ = ["INTERRUPTED", "ChildExit", "RunOptions", "child_argv", "execute", "max_workers",
           "rerun_commands", "terminate_as_interrupt", "worker_count"]

INTERRUPTED = 130


@dataclass(frozen=True)
class RunOptions:
    """How to run a sweep: what ``lstm-sweep run``'s options and ``lstm_automl.run``'s keyword
    arguments both say. ``sweep_file``: the file as given (None for a sweep given as a dict)."""

    sweep_file: str | None = None
    fresh: bool = False
    workers: int | None = None
    gpus: str | None = None  # "0,1": one worker per GPU
    ray: str | None = None  # "local", "auto" or a cluster address: Ray places the workers
    gpus_per_trial: float | None = None  # with ray: each worker's GPU share (0.25: 4 per GPU)
    backend: str | None = None
    verbosity: int = NORMAL
    debug: bool = False


class ChildExit(LstmSweepError):
    """The sweep ran in child processes (training.recycle_every) and the last one failed; it
    printed its own messages, so the command line only passes its exit code on."""

    def __init__(self, code: int) -> None:
        self.exit_code = code
        what = "was interrupted" if code == INTERRUPTED else f"exited with code {code}"
        super().__init__(f"the sweep's child process {what}; its messages are above")


def execute(loaded: LoadedSweep, options: RunOptions) -> RawResult | None:
    """Run or resume the sweep and print its closing lines; the result, or None when child
    processes ran it (they printed it). Raises the project's errors, ``SweepInterrupted`` on
    Ctrl-C or SIGTERM, ``ChildExit`` when a child process failed."""
    source = loaded.source or str(loaded.path)
    check_sweep_file_folder(loaded.config, source)  # before any file or MLflow run
    check_ray_options(options.ray, options.gpus_per_trial, options.gpus, options.sweep_file,
                      options.workers)
    count, gpus = ((options.workers or 0), None) if options.ray is not None else \
        worker_count(options.workers, options.gpus)
    if count and options.sweep_file is None:
        raise ConfigError(source, ["workers: worker processes read the sweep from a file; save "
                                   "the dict as YAML and pass its path to run with workers"])
    quiet_frameworks()
    # Before anything imports Keras; child processes inherit the choice (backend.child_env).
    select_backend(loaded.config.training.backend, options.backend, source, work_of(loaded))
    segment = current_segment()
    if not count and options.ray is None and segment is None and needs_supervisor(
            loaded.config.training.recycle_every, _trial_budget(loaded)):
        if options.sweep_file is not None:
            code = supervise(*child_argv(options, loaded.overrides))
            if code:
                raise ChildExit(code)
            return None  # the sweep ran in fresh child processes
        loaded.notes.append("training.recycle_every: a sweep given as a dict runs in this one "
                            "process (child processes need a sweep file)")
    import_frameworks_quietly(quiet=not options.debug)
    reporter = Reporter(options.verbosity, debug=options.debug)
    if segment is not None:  # the clock of the whole sweep, not of this process
        reporter.started -= max(0.0, time.time() - segment.started)
    result = _run_session(loaded, options, reporter, count, gpus)
    print_result(loaded, reporter, result)
    return result


def _run_session(loaded: LoadedSweep, options: RunOptions, reporter: Reporter, count: int,
                 gpus: list[str] | None) -> RawResult:
    rerun, fresh = rerun_commands(loaded, options.sweep_file)
    try:
        with terminate_as_interrupt():
            if options.ray is not None:
                assert options.sweep_file is not None  # check_ray_options refuses a dict
                return run_with_ray(loaded, reporter, options.ray, count or None,
                                    options.gpus_per_trial or 0.0, options.fresh, rerun,
                                    options.sweep_file)
            if count:
                assert options.sweep_file is not None  # execute refuses workers for a dict
                return run_with_workers(loaded, reporter, count, gpus, options.fresh, rerun,
                                        options.sweep_file)
            return run_sweep(loaded, reporter, fresh=options.fresh, rerun=rerun)
    except SweepInterrupted:
        raise
    except KeyboardInterrupt:
        raise SweepInterrupted(interrupted_message(sweep_folder(loaded), rerun, fresh)) from None
    except Recycle:
        # Exit at once: MLflow's exit hook would close the sweep run a fresh process resumes.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(RECYCLE_EXIT)


def rerun_commands(loaded: LoadedSweep, sweep_file: str | None) -> tuple[str, str]:
    """What runs this sweep again, and what starts it over, for messages."""
    if sweep_file is None:
        return ("lstm_automl.run(<the same dict>)",
                "lstm_automl.run(<the same dict>, fresh=True)")
    rerun = f"lstm-sweep run {sweep_file}{shell_suffix(loaded.overrides)}"
    return rerun, f"{rerun} --fresh"


def _trial_budget(loaded: LoadedSweep) -> int | None:
    """Trials the sweep may run (None: Hyperband decides)."""
    tuner = loaded.config.tuner
    return None if tuner.algorithm == "hyperband" else tuner.max_trials


def child_argv(options: RunOptions, overrides: list[str]) -> tuple[list[str], list[str]]:
    """The command line of the first child, and of those that continue (never --fresh)."""
    top = ["--debug"] if options.debug else []
    loud = {QUIET: ["-q"], VERBOSE: ["-v"]}.get(options.verbosity, [])
    resume = [*top, "run", str(options.sweep_file), *loud, *as_arguments(overrides)]
    first = [*resume, "--fresh"] if options.fresh else resume
    return first, resume


def worker_count(count: int | None, raw_gpus: str | None) -> tuple[int, list[str] | None]:
    """``--workers N`` and ``--gpus 0,1`` (one worker per GPU); 0 means in this process."""
    gpus = [g.strip() for g in raw_gpus.split(",") if g.strip()] if raw_gpus else None
    if gpus is not None and not gpus:
        raise ConfigError("--gpus", ["expected GPU ids like 0,1"])
    if gpus and count is not None and count != len(gpus):
        raise ConfigError("--workers", [f"{count} workers for {len(gpus)} GPUs: one worker per "
                                        f"GPU, drop --workers or make them match"])
    if count is not None and count < 1:
        raise ConfigError("--workers", ["must be at least 1"])
    total, limit = (len(gpus) if gpus else count or 0), max_workers()
    if total > limit:
        option = "--gpus" if gpus else "--workers"
        raise ConfigError(option, [f"{total} workers is more than {limit} (4 per CPU core of "
                                   f"this machine); each worker is a process training models"])
    return total, gpus


def max_workers() -> int:
    """The most worker processes ``run`` starts: 4 per CPU core this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return 4 * max(1, cores)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a shutdown, a scheduler, a supervisor) closes runs like Ctrl-C does; both are
    remembered (``interrupts``) so a trial they break is not taken for a failed one."""
    interrupts.reset()
    try:
        previous = signal.signal(signal.SIGTERM, interrupts.handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:  # not when SIGINT is ignored
        signal.signal(signal.SIGINT, interrupts.handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)
        interrupts.reset()  # the request belonged to this sweep, not to the next in-process one
