"""``lstm-sweep run``: validate, run or resume the sweep, print the leaderboard and links."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from lstm_automl.console import NORMAL, QUIET, VERBOSE, Reporter
from lstm_automl.errors import ConfigError, Recycle
from lstm_automl.config.names import direction
from lstm_automl.config.loader import LoadedSweep, load_sweep
from lstm_automl.config.overrides import as_arguments, shell_suffix
from lstm_automl.framework_logs import import_tensorflow_quietly, quiet_frameworks
from lstm_automl.distributed.process_recycling import (
    RECYCLE_EXIT,
    current_segment,
    needs_supervisor,
    supervise,
)
from lstm_automl.results.sweep_result import SweepResult
from lstm_automl.config.space_summary import summary_rows

INTERRUPTED = 130


def run_command(args: argparse.Namespace) -> int:
    loaded = load_sweep(args.sweep_file, getattr(args, "overrides", None) or [])
    count, gpus = _workers(args)
    quiet_frameworks()
    segment = current_segment()
    fresh = getattr(args, "fresh", False)
    if not count and segment is None and needs_supervisor(
            loaded.config.training.recycle_every, _trial_budget(loaded)):
        return supervise(*_child_argv(args))  # the sweep runs in fresh child processes
    if not args.debug:
        import_tensorflow_quietly()
    verbosity = QUIET if args.quiet else VERBOSE if args.verbose else NORMAL
    reporter = Reporter(verbosity, debug=args.debug)
    if segment is not None:  # the clock of the whole sweep, not of this process
        reporter.started -= max(0.0, time.time() - segment.started)
    rerun = f"lstm-sweep run {args.sweep_file}{shell_suffix(loaded.overrides)}"

    from lstm_automl.session import run_sweep

    try:
        with terminate_as_interrupt():
            if count:
                from lstm_automl.distributed.workers import run_with_workers

                result = run_with_workers(loaded, reporter, count, gpus, fresh, rerun,
                                          args.sweep_file)
            else:
                result = run_sweep(loaded, reporter, fresh=fresh, rerun=rerun)
    except KeyboardInterrupt:
        print(interrupted_message(loaded, rerun), file=sys.stderr)
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
    return (len(gpus) if gpus else count or 0), gpus


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a shutdown, a scheduler, a supervisor) closes runs like Ctrl-C does."""
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_message(loaded: LoadedSweep, rerun: str) -> str:
    from lstm_automl.session import sweep_folder

    folder = sweep_folder(loaded)
    if not folder.exists():
        return "\ninterrupted before the sweep started; nothing to resume"
    return (f"\ninterrupted: the running trial's MLflow run was closed as KILLED; finished trials "
            f"are kept in {folder}.\nRun `{rerun}` again to resume (the interrupted trial is "
            f"retried), or `{rerun} --fresh` to start over.")


def print_result(loaded: LoadedSweep, reporter: Reporter, result: SweepResult) -> None:
    config = loaded.config
    counts = result.counts
    if result.already_complete:
        reporter.line(f"lstm-sweep: sweep '{config.name}' is already complete (sweep run "
                      f"{result.parent_run_id}, finished {result.finished_at}); nothing to run. "
                      f"Raise tuner.max_trials to add trials, or add --fresh to start over.",
                      QUIET)
        reporter.objective = config.tuner.objective
        reporter.minimise = _minimise(loaded)
        reporter.searched = [name for name, _ in summary_rows(config.search.specs())]
    reporter.line()
    extra = "".join(f", {counts[k]} {k}" for k in ("pruned", "failed", "retried")
                    if counts.get(k))
    reporter.line(f"Leaderboard ({counts['completed']} of {len(result.records)} trials completed"
                  f"{extra}; {reporter.objective}, "
                  f"{'lower' if reporter.minimise else 'higher'} is better)")
    for line in reporter.leaderboard(result.records):
        reporter.line(line)
    metrics = "  ".join(f"{k} {v:.4g}" for k, v in result.test_metrics.items())
    units = "" if result.higher_is_better else " in original units"
    what = f" ({result.final_model})" if result.final_model and \
        result.final_model != f"{result.best.name} as trained" else ""
    reporter.line(f"\nBest: {result.best.name}{what}; test split{units}: {metrics}", QUIET)
    verdict = result.verdict
    for name, values in result.baselines.items():
        label = result.baseline_labels.get(name, "")
        shown = f"{name} ({label})" if label and label != name else name
        mark = "  <- strongest" if name == verdict.baseline else ""
        reporter.line(f"  baseline {shown}: "
                      + "  ".join(f"{k} {v:.4g}" for k, v in values.items()) + mark)
    for note in result.baseline_notes:
        reporter.line(f"  note: {note}")
    reporter.line(f"  {verdict.sentence()}", QUIET)
    if result.model_version:
        state = ("now 'champion'" if result.champion
                 else "not champion")
        verb = "Registered"
        if result.already_complete:
            verb, state = "Was registered as", ("'champion' then" if result.champion
                                                else "not champion then")
        reporter.line(f"{verb} '{result.model_name}' version {result.model_version} "
                      f"({state}; {result.champion_reason})", QUIET)
    ui_uri = result.tracking_uri
    reporter.line(f"\nCompare the trials: mlflow ui --backend-store-uri {ui_uri}  (experiment "
                  f"'{config.experiment_name}')")
    if result.model_version:
        if result.champion:
            reporter.line(f"Load the champion: mlflow.pyfunc.load_model('models:/"
                          f"{result.model_name}@champion')")
        else:
            reporter.line(f"Load this sweep's model: mlflow.pyfunc.load_model('models:/"
                          f"{result.model_name}/{result.model_version}')  (no 'champion' alias "
                          f"was given to it)")
    reporter.line(f"Done in {reporter.elapsed()}.")


def _minimise(loaded: LoadedSweep) -> bool:
    tuner = loaded.config.tuner
    return direction(tuner.objective, tuner.direction) == "min"
