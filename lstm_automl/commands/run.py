"""``lstm-sweep run``: validate, run or resume the sweep, print the leaderboard and links."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from lstm_automl.config.overrides import as_arguments, shell_suffix
from lstm_automl.console import NORMAL, QUIET, VERBOSE, Reporter, interrupted_message, print_result
from lstm_automl.distributed.process_recycling import (
    RECYCLE_EXIT,
    current_segment,
    needs_supervisor,
    supervise,
)
from lstm_automl import interrupts
from lstm_automl.errors import ConfigError, Recycle
from lstm_automl.framework_logs import import_frameworks_quietly, quiet_frameworks
from lstm_automl.model.backend import select_backend
from lstm_automl.resume.folder_safety import check_sweep_file_folder
from lstm_automl.sweep_file.loader import LoadedSweep, load_sweep

INTERRUPTED = 130


def run_command(args: argparse.Namespace) -> int:
    """``lstm-sweep run``: validate, tune, record, evaluate on the test split and register.

    Args:
        args: ``sweep_file``, ``overrides`` (``--set``), ``fresh``, ``workers``, ``gpus``,
            ``backend``, ``quiet``/``verbose`` and ``debug`` as ``cli.build_parser`` reads them.

    Returns:
        The exit code: 0 done, 130 interrupted (the runs closed as KILLED). A sweep that fails
        raises ``SweepError`` (exit 1); a bad file or data raises a ``ConfigError`` or
        ``DataError`` (exit 2) before anything is written.
    """
    loaded = load_sweep(args.sweep_file, getattr(args, "overrides", None) or [])
    check_sweep_file_folder(loaded.config, args.sweep_file)  # before any file or MLflow run
    count, gpus = _workers(args)
    quiet_frameworks()
    # Before anything imports Keras; child processes inherit the choice (backend.child_env).
    select_backend(loaded.config.training.backend, getattr(args, "backend", None),
                   args.sweep_file)
    segment = current_segment()
    fresh = getattr(args, "fresh", False)
    if not count and segment is None and needs_supervisor(
            loaded.config.training.recycle_every, _trial_budget(loaded)):
        return supervise(*_child_argv(args))  # the sweep runs in fresh child processes
    import_frameworks_quietly(quiet=not args.debug)
    verbosity = QUIET if args.quiet else VERBOSE if args.verbose else NORMAL
    reporter = Reporter(verbosity, debug=args.debug)
    if segment is not None:  # the clock of the whole sweep, not of this process
        reporter.started -= max(0.0, time.time() - segment.started)
    rerun = f"lstm-sweep run {args.sweep_file}{shell_suffix(loaded.overrides)}"

    from lstm_automl.session import run_sweep, sweep_folder

    try:
        with terminate_as_interrupt():
            if count:
                from lstm_automl.distributed.workers import run_with_workers

                result = run_with_workers(loaded, reporter, count, gpus, fresh, rerun,
                                          args.sweep_file)
            else:
                result = run_sweep(loaded, reporter, fresh=fresh, rerun=rerun)
    except KeyboardInterrupt:
        print(interrupted_message(sweep_folder(loaded), rerun), file=sys.stderr)
        return INTERRUPTED
    except Recycle:
        # Exit at once: MLflow's exit hook would close the sweep run a fresh process resumes.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(RECYCLE_EXIT)
    print_result(loaded, reporter, result)
    return 0


def _trial_budget(loaded: LoadedSweep) -> int | None:
    """Trials the sweep may run (None: Hyperband decides)."""
    tuner = loaded.config.tuner
    return None if tuner.algorithm == "hyperband" else tuner.max_trials


def _child_argv(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The command line of the first child, and of those that continue (never --fresh)."""
    top = ["--debug"] if args.debug else []
    loud = ["-q"] if args.quiet else ["-v"] if args.verbose else []
    resume = [*top, "run", args.sweep_file, *loud,
              *as_arguments(getattr(args, "overrides", None) or [])]
    first = [*resume, "--fresh"] if getattr(args, "fresh", False) else resume
    return first, resume


def _workers(args: argparse.Namespace) -> tuple[int, list[str] | None]:
    """``--workers N`` and ``--gpus 0,1`` (one worker per GPU); 0 means in this process."""
    count = getattr(args, "workers", None)
    raw = getattr(args, "gpus", None)
    gpus = [g.strip() for g in raw.split(",") if g.strip()] if raw else None
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
