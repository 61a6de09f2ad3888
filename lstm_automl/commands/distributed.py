"""``lstm-sweep chief`` and ``lstm-sweep worker``: one sweep, workers on several machines."""

from __future__ import annotations

import argparse
import os
import socket
import sys

from lstm_automl.commands.run import INTERRUPTED, terminate_as_interrupt
from lstm_automl.config.overrides import shell_suffix
from lstm_automl.console import NORMAL, QUIET, VERBOSE, Reporter, interrupted_message, print_result
from lstm_automl.distributed.worker_scratch import remove_own_scratch
from lstm_automl.distributed.workers import SUPERVISED_ENV, Prefixed, run_chief, run_worker
from lstm_automl.framework_logs import import_frameworks_quietly, quiet_frameworks
from lstm_automl.model.backend import select_backend
from lstm_automl.resume.folder_safety import check_sweep_file_folder
from lstm_automl.session import sweep_folder
from lstm_automl.sweep_file.loader import LoadedSweep, load_sweep


def _reporter(args: argparse.Namespace, loaded: LoadedSweep,  # type: ignore[no-untyped-def]
              stream=None) -> Reporter:
    quiet_frameworks()
    select_backend(loaded.config.training.backend, getattr(args, "backend", None),
                   args.sweep_file)  # before Keras is imported
    import_frameworks_quietly(quiet=not args.debug)
    verbosity = QUIET if args.quiet else VERBOSE if args.verbose else NORMAL
    return Reporter(verbosity, stream=stream, debug=args.debug)


def chief_command(args: argparse.Namespace) -> int:
    """``lstm-sweep chief``: hold a sweep's oracle for workers on other machines, then evaluate
    and register.

    Args:
        args: ``sweep_file``, ``overrides`` (``--set``), ``host``, ``port``, ``fresh`` and
            ``quiet``/``verbose``.

    Returns:
        The exit code: 0 done, 130 interrupted; errors as for ``run``.
    """
    loaded = load_sweep(args.sweep_file, getattr(args, "overrides", None) or [])
    check_sweep_file_folder(loaded.config, args.sweep_file)  # before any file or MLflow run
    reporter = _reporter(args, loaded)
    rerun = f"lstm-sweep chief {args.sweep_file}{shell_suffix(loaded.overrides)}"

    try:
        with terminate_as_interrupt():
            result = run_chief(loaded, reporter, args.host, args.port, args.fresh, rerun)
    except KeyboardInterrupt:
        print(interrupted_message(sweep_folder(loaded), rerun), file=sys.stderr)
        return INTERRUPTED
    print_result(loaded, reporter, result)
    return 0


def worker_command(args: argparse.Namespace) -> int:
    """``lstm-sweep worker``: take trials from a chief until the sweep ends.

    Args:
        args: ``sweep_file``, ``overrides`` (``--set``), ``chief`` (HOST:PORT), ``worker_id``
            (restarted with the same id it resumes its trial), ``tracking_uri`` and
            ``quiet``/``verbose``.

    Returns:
        The exit code: 0 when the sweep ended, 130 interrupted; errors as for ``run``.
    """
    loaded = load_sweep(args.sweep_file, getattr(args, "overrides", None) or [])
    worker_id = args.worker_id or f"worker-{socket.gethostname()}"
    reporter = _reporter(args, loaded, stream=Prefixed(sys.stdout, f"{worker_id}| "))
    rerun = (f"lstm-sweep worker {args.sweep_file} --chief {args.chief} --id {worker_id}"
             f"{shell_suffix(loaded.overrides)}")
    try:
        with terminate_as_interrupt():
            return run_worker(loaded, reporter, args.chief, worker_id, args.tracking_uri, None,
                              rerun)
    except KeyboardInterrupt:
        hint = ("" if os.environ.get(SUPERVISED_ENV) else
                f" Restart it with `{rerun}` to resume that trial.")
        print(f"{worker_id}: interrupted; its trial's run was closed as KILLED.{hint}",
              file=sys.stderr)
        return INTERRUPTED
    finally:
        remove_own_scratch(loaded.config.tuner.directory)  # a Ray actor's folder (if any)
