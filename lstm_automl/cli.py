"""Command line: parse arguments, dispatch to a command, map errors to exit codes. Nothing else.

Exit codes: 0 success, 1 a sweep or tracking failure, 2 a usage, config or data error,
130 interrupted. ``--debug`` shows tracebacks instead of one-line messages.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from lstm_automl.errors import LstmSweepError
from lstm_automl.redaction import redact
from lstm_automl.version import __version__

# Each subcommand's function, as "module in lstm_automl.commands:function": a command's module
# (and what it imports) loads only when that command runs, so `validate` and `--help` never pay
# for `run`'s or `report`'s imports (the lazy command table pip and Django's manage.py keep).
COMMANDS: dict[str, str] = {
    "run": "run:run_command", "validate": "validate:validate_command",
    "data": "data:data_command", "predict": "predict:predict_command",
    "schema": "schema:schema_command", "leaderboard": "leaderboard:leaderboard_command",
    "report": "report:report_command", "chief": "distributed:chief_command",
    "worker": "distributed:worker_command",
}


def command_function(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs subcommand ``name`` (its module imported now)."""
    module, function = COMMANDS[name].split(":")
    return getattr(importlib.import_module(f"lstm_automl.commands.{module}"), function)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The ``lstm-sweep`` argument parser with every subcommand (usage errors exit 2).

    Returns:
        The parser; ``main`` dispatches on its ``command``.
    """
    parser = _Parser(
        prog="lstm-sweep",
        description="Find the best recurrent network for a sequence problem: one YAML file "
        "describes the data and the search space; keras-tuner trains the candidates, MLflow "
        "records every trial and registers the best model.",
    )
    parser.add_argument("--version", action="version", version=f"lstm-sweep {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser("run", help="run a sweep: tune, track in MLflow, register the best")
    run.add_argument("sweep_file", metavar="SWEEP.yaml")
    loud = run.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true", help="print only the result")
    loud.add_argument("-v", "--verbose", action="store_true",
                      help="print every hyperparameter and Keras' per-epoch output")
    _add_resume_options(run)  # see the "sweeps that survive" block below
    add_set_option(run)
    add_backend_option(run)

    validate = commands.add_parser(
        "validate", help="check a sweep file and its data, and summarise the search space")
    validate.add_argument("sweep_file", metavar="SWEEP.yaml")
    validate.add_argument("--no-data", action="store_true", help="check the file only")
    add_set_option(validate)

    data = commands.add_parser(
        "data", help="show what the sweep will see: splits, shapes, scaling, baselines, examples")
    data.add_argument("sweep_file", metavar="SWEEP.yaml")
    data.add_argument("--examples", type=int, default=3, help="examples to show (default 3)")
    add_set_option(data)

    predict = commands.add_parser(
        "predict", help="predict with a registered model from a raw CSV (original units out)")
    predict.add_argument("--model", required=True, metavar="URI",
                         help="models:/NAME@champion, models:/NAME/VERSION, a run id, or a "
                              "model folder")
    predict.add_argument("--input", required=True, metavar="FILE.csv",
                         help="recent history (forecast) or sequences, with the training "
                              "column names")
    predict.add_argument("--output", metavar="FILE.csv",
                         help="write here (default: stdout); its folder must exist, and it may "
                              "not be the input")
    predict.add_argument("--overwrite", action="store_true",
                         help="replace --output if it exists (default: refuse)")
    predict.add_argument("--tracking-uri", metavar="URI",
                         help="MLflow store (default: $MLFLOW_TRACKING_URI, else "
                              "sqlite:///mlflow.db)")
    add_backend_option(predict, "Keras backend to load the model on (default: $KERAS_BACKEND, "
                                "else the backend it was trained on if installed)")

    schema = commands.add_parser("schema", help="print the JSON Schema of sweep files")
    schema.add_argument("--indent", type=int, default=2, help="JSON indent (default 2)")
    _add_reading_commands(commands)
    _add_survival_commands(commands)  # see the "sweeps that survive" block below
    return parser


def add_set_option(command: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE`` (repeatable): change a value of the sweep file for this run only."""
    command.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="KEY=VALUE",
                         help="override a value of the sweep file, read as YAML (e.g. --set "
                              "tuner.max_trials=50); checked like the file, and part of the "
                              "sweep's identity like an edit of the file; repeatable")


def add_backend_option(parser: argparse.ArgumentParser, text: str = "") -> None:
    """``--backend``: the Keras 3 backend of this process (lstm_automl.model.backend)."""
    parser.add_argument("--backend", choices=("auto", "tensorflow", "jax", "torch"),
                        help=text or "Keras backend (overrides training.backend; default: "
                        "$KERAS_BACKEND, else the one estimated faster for this sweep)")


def entry() -> int:
    """The process's entry point (``lstm-sweep``, ``python -m lstm_automl``): ``main``, and once
    a run was interrupted (exit 130, its runs already closed), further SIGINTs are ignored so
    that a second Ctrl-C, or one still pending in the interpreter, cannot turn the clean exit
    into death by signal while the process shuts down (seen once in a few runs: exit -2 after
    the interrupted message). Not in ``main``: tests call it in-process.

    Returns:
        ``main``'s exit code (130 when interrupted).
    """
    code = 130
    try:
        code = main()
    except KeyboardInterrupt:  # raised after main had handled the first one
        pass
    finally:
        if code == 130:
            _ignore_further_interrupts()
    return code


def _ignore_further_interrupts() -> None:
    """``signal.signal`` runs pending handlers before it changes one: retry past them."""
    import signal

    for _ in range(5):
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            return
        except KeyboardInterrupt:
            continue


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the subcommand and map its errors to exit codes, in one place.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 done, 1 the sweep failed, 2 a usage, config or data error, 130
        interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return command_function(args.command)(args)
    except LstmSweepError as exc:
        if args.debug:
            print(redact(_traceback()), end="", file=sys.stderr)
        text = redact(str(exc))  # a tracking URI's password stays out of the terminal
        print(f"error: {text}" if "\n" not in text else f"error:\n{text}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted; open runs were closed as KILLED", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an environment problem: say so in one line
        if args.debug:
            print(redact(_traceback()), end="", file=sys.stderr)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"error: unexpected {type(exc).__name__}: {redact(first)} (rerun with --debug for "
              f"the traceback)", file=sys.stderr)
        return 1


def _traceback() -> str:
    """The exception being handled, as ``--debug`` prints it (traceback loads only then)."""
    import traceback

    return traceback.format_exc()


# --- Reading a recorded sweep back: leaderboard, report (lstm_automl.report) -----------------
_SWEEP_REF_HELP = ("a sweep YAML file, a sweep name, or a sweep (or trial) run id; default: the "
                   "latest sweep in the store")


def _add_reading_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    board = commands.add_parser(
        "leaderboard", help="the trials of a recorded sweep, best first (reads MLflow only)")
    board.add_argument("sweep", nargs="?", metavar="SWEEP", help=_SWEEP_REF_HELP)
    board.add_argument("--tracking-uri", metavar="URI",
                       help="MLflow store or server (default: $MLFLOW_TRACKING_URI, else "
                            "sqlite:///mlflow.db)")
    board.add_argument("--format", choices=("table", "csv", "json", "markdown"),
                       default="table", help="output format (default: table)")
    board.add_argument("--all-attempts", action="store_true",
                       help="list every trial run, the earlier attempts of retried trials too "
                            "(default: one row per trial, its final attempt)")

    report = commands.add_parser(
        "report", help="write a self-contained HTML report of a recorded sweep")
    report.add_argument("sweep", nargs="?", metavar="SWEEP", help=_SWEEP_REF_HELP)
    report.add_argument("--tracking-uri", metavar="URI",
                        help="MLflow store or server (default: $MLFLOW_TRACKING_URI, else "
                             "sqlite:///mlflow.db)")
    report.add_argument("--out", "-o", metavar="FILE.html", default="report.html",
                        help="where to write the report (default: report.html)")
    report.add_argument("--all-attempts", action="store_true",
                        help="list every trial run in the leaderboard, the earlier attempts "
                             "of retried trials too")

# --- end of reading commands -------------------------------------------------------------------


# --- Sweeps that survive: resume, --fresh (session/, resume/state_folder.py) ---------------


def _add_resume_options(run: argparse.ArgumentParser) -> None:
    run.add_argument("--fresh", action="store_true",
                     help="start the sweep over: discard its tuner state folder (the earlier "
                          "MLflow runs stay); without it an interrupted sweep resumes")
    run.add_argument("--workers", type=int, metavar="N",
                     help="train with N worker processes on this machine (keras-tuner's "
                          "distributed mode; a sqlite store gets a local mlflow server)")
    run.add_argument("--gpus", metavar="LIST",
                     help="comma-separated GPU ids, one worker pinned to each "
                          "(CUDA_VISIBLE_DEVICES; 0,0,0,0 packs four on GPU 0); implies "
                          "--workers")
    run.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                     help="place the workers on a Ray cluster: auto (the one this machine "
                          "belongs to), HOST:PORT or ray://HOST:PORT; alone, a local Ray "
                          "instance (needs the ray extra)")
    run.add_argument("--gpus-per-trial", type=float, metavar="SHARE",
                     help="with --ray: the GPU share each worker declares (0.25: four trials "
                          "per GPU)")


def _add_survival_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    chief = commands.add_parser(
        "chief", help="hold a sweep's oracle for workers on other machines (shared tracking "
                      "server), then evaluate and register")
    chief.add_argument("sweep_file", metavar="SWEEP.yaml")
    chief.add_argument("--port", type=int, default=0, help="port to listen on (default: free)")
    chief.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1; anything else is reachable "
                            "without authentication)")
    chief.add_argument("--fresh", action="store_true", help="start the sweep over")
    chief.add_argument("-q", "--quiet", action="store_true", help="print only the result")
    chief.add_argument("-v", "--verbose", action="store_true", help="print more")
    add_set_option(chief)
    worker = commands.add_parser("worker", help="take trials from a chief until the sweep ends")
    worker.add_argument("sweep_file", metavar="SWEEP.yaml")
    worker.add_argument("--chief", required=True, metavar="HOST:PORT", help="the chief's oracle")
    worker.add_argument("--id", dest="worker_id", default=None,
                        help="unique worker id (default: worker-HOSTNAME); restart a dead "
                             "worker with its id to resume its trial")
    worker.add_argument("--tracking-uri", metavar="URI",
                        help="tracking server (default: the sweep file's, else "
                             "$MLFLOW_TRACKING_URI)")
    worker.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    add_backend_option(chief)
    add_backend_option(worker)
    worker.add_argument("-v", "--verbose", action="store_true", help="print Keras' epochs")
    add_set_option(worker)

# --- end of sweeps that survive ----------------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())
