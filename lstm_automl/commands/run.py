"""``lstm-sweep run``: validate, run the sweep, print the leaderboard and where to look."""

from __future__ import annotations

import argparse

from lstm_automl.console import NORMAL, QUIET, VERBOSE, Reporter
from lstm_automl.loader import load_sweep
from lstm_automl.quiet import import_tensorflow_quietly, quiet_frameworks


def run_command(args: argparse.Namespace) -> int:
    loaded = load_sweep(args.sweep_file)
    quiet_frameworks()
    if not args.debug:
        import_tensorflow_quietly()
    verbosity = QUIET if args.quiet else VERBOSE if args.verbose else NORMAL
    reporter = Reporter(verbosity, debug=args.debug)

    from lstm_automl.sweep import run_sweep

    result = run_sweep(loaded, reporter)
    config = loaded.config
    done = sum(r.status == "COMPLETED" for r in result.records)
    reporter.line()
    reporter.line(f"Leaderboard ({done} of {len(result.records)} trials completed; "
                  f"{reporter.objective}, {'lower' if reporter.minimise else 'higher'} is better)")
    for line in reporter.leaderboard(result.records):
        reporter.line(line)
    metrics = "  ".join(f"{k} {v:.4g}" for k, v in result.test_metrics.items())
    units = "" if result.higher_is_better else " in original units"
    reporter.line(f"\nBest: {result.best.name}; test split{units}: {metrics}", QUIET)
    for name, values in result.baselines.items():
        reporter.line(f"  baseline {name}: " + "  ".join(f"{k} {v:.4g}" for k, v in values.items()))
    if result.lift is not None:
        if result.lift <= 0:
            reporter.line(f"  warning: the best model does NOT beat the best baseline on the "
                          f"test split ({result.primary_metric})", QUIET)
        elif result.higher_is_better:
            reporter.line(f"  test {result.primary_metric} {result.lift:+.3f} over the best "
                          f"baseline")
        else:
            reporter.line(f"  test {result.primary_metric} {result.lift:.1%} lower than the best "
                          f"baseline")
    if result.model_version:
        state = ("now 'champion'" if result.champion
                 else "not champion: it does not beat the current champion")
        reporter.line(f"Registered '{result.model_name}' version {result.model_version} "
                      f"({state}; {result.champion_reason})", QUIET)
    ui_uri = result.tracking_uri
    reporter.line(f"\nCompare the trials: mlflow ui --backend-store-uri {ui_uri}  (experiment "
                  f"'{config.experiment_name}')")
    if result.model_version:
        reporter.line(f"Load the champion: mlflow.pyfunc.load_model('models:/{result.model_name}"
                      f"@champion')")
    reporter.line(f"Done in {reporter.elapsed()}.")
    return 0
