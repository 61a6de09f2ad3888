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
    reporter.line(f"\nBest: {result.best.name}; test split in original units: {metrics}",
                  QUIET)
    for name, values in result.baselines.items():
        reporter.line(f"  baseline {name}: " + "  ".join(f"{k} {v:.4g}" for k, v in values.items()))
    best_baseline = min(v["rmse"] for v in result.baselines.values())
    if result.test_metrics["rmse"] >= best_baseline:
        reporter.line("  warning: the best model does NOT beat the best naive baseline on the "
                      "test split", QUIET)
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
