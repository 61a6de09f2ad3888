"""``lstm-sweep run``: the command line's driver over ``lstm_automl.api`` (one code path): read
the options, run the sweep (api/_running.py prints the leaderboard and links), map the outcome
to an exit code."""

from __future__ import annotations

import argparse
import sys

from lstm_automl.api._running import (
    INTERRUPTED,
    ChildExit,
    RunOptions,
    child_argv,
    execute,
    terminate_as_interrupt,
)
from lstm_automl.console import NORMAL, QUIET, VERBOSE
from lstm_automl.errors import SweepInterrupted
from lstm_automl.sweep_file.loader import load_sweep

__all__ = ["INTERRUPTED", "run_command", "run_options", "terminate_as_interrupt"]


def run_command(args: argparse.Namespace) -> int:
    """``lstm-sweep run``: validate, tune, record, evaluate on the test split and register.

    Args:
        args: ``sweep_file``, ``overrides`` (``--set``), ``fresh``, ``workers``, ``gpus``,
            ``ray``, ``gpus_per_trial``,
            ``backend``, ``quiet``/``verbose`` and ``debug`` as ``cli.build_parser`` reads them.

    Returns:
        The exit code: 0 done, 130 interrupted (the runs closed as KILLED). A sweep that fails
        raises ``SweepError`` (exit 1); a bad file or data raises a ``ConfigError`` or
        ``DataError`` (exit 2) before anything is written.
    """
    loaded = load_sweep(args.sweep_file, getattr(args, "overrides", None) or [])
    try:
        execute(loaded, run_options(args))
    except SweepInterrupted as exc:
        print(exc, file=sys.stderr)
        return INTERRUPTED
    except ChildExit as exc:  # the child printed why
        return exc.exit_code
    return 0


def run_options(args: argparse.Namespace) -> RunOptions:
    """``run``'s options as the API takes them."""
    verbosity = QUIET if getattr(args, "quiet", False) else \
        VERBOSE if getattr(args, "verbose", False) else NORMAL
    return RunOptions(sweep_file=args.sweep_file, fresh=getattr(args, "fresh", False),
                      workers=getattr(args, "workers", None), gpus=getattr(args, "gpus", None),
                      ray=getattr(args, "ray", None),
                      gpus_per_trial=getattr(args, "gpus_per_trial", None),
                      backend=getattr(args, "backend", None), verbosity=verbosity,
                      debug=getattr(args, "debug", False))


def _child_argv(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The recycled children's command lines for these options (tests read it)."""
    return child_argv(run_options(args), getattr(args, "overrides", None) or [])
