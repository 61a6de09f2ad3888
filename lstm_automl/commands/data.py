"""``lstm-sweep data``: show what the sweep will see, before anything trains.

Shapes, split sizes and ranges, class balance, scaling and a few examples, from the same code
the sweep runs; no TensorFlow, nothing written.
"""

from __future__ import annotations

import argparse

from lstm_automl.data import load_data
from lstm_automl.results.target_verdict import target_names
from lstm_automl.sweep_file.loader import load_sweep


def data_command(args: argparse.Namespace) -> int:
    """``lstm-sweep data``: print the splits, shapes, scaling, baselines and a few examples the
    sweep will see, without training.

    Args:
        args: ``sweep_file``, ``overrides`` (``--set``) and ``examples`` (how many to show).

    Returns:
        0 done; bad input raises the project's errors (``errors.py``), which ``cli.main``
        turns into one line and exit 2.
    """
    loaded = load_sweep(args.sweep_file, getattr(args, "overrides", None) or [])
    data = load_data(loaded)
    shape = data.model_shape()
    print(f"{args.sweep_file}: task {data.task}")
    print(f"  {data.describe()}")
    print(f"  model input: {shape.steps} steps x {shape.n_features} features"
          f"{' (padded, masked)' if shape.masked else ''}; output: {shape.n_outputs}"
          f"{f' per position x {shape.positions}' if shape.positions else ''}"
          f"{' per step' if shape.task in ('label', 'reconstruct') else ''}"
          f"{' (the window rebuilt)' if shape.task == 'reconstruct' else ''}")
    for key, value in data.summary().items():
        print(f"  {key}: {value}")
    for line in getattr(data, "backtest_lines", list)():
        print(f"  {line}")
    report = data.baseline_report()
    strongest = data.best_baseline()
    per_target = _strongest_per_target(report.metrics, data.primary_metric, data.higher_is_better)
    for name, metrics in report.metrics.items():
        shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        label = f" ({report.labels[name]})" if report.labels.get(name) else ""
        mark = "  <- strongest" if strongest and strongest[0] == name else ""
        if per_target:  # several targets: each has its own strongest baseline
            mark = f"  <- strongest on {', '.join(per_target[name])}" if name in per_target \
                else ""
        print(f"  baseline {name}{label} on the test split: {shown}{mark}")
    for note in report.notes:
        print(f"  note: {note}")
    print(f"  baselines took {report.seconds:.1f}s")
    for line in data.preview(args.examples):
        print(f"  {line}")
    return 0


def _strongest_per_target(metrics: dict[str, dict[str, float]], primary: str,
                          higher_is_better: bool) -> dict[str, list[str]]:
    """{baseline: the targets it is strongest on}, for data with several targets ({} else)."""
    targets = dict.fromkeys(t for values in metrics.values()
                            for t in target_names(values, primary))
    out: dict[str, list[str]] = {}
    for target in targets:
        scored = {n: v[f"{primary}_{target}"] for n, v in metrics.items()
                  if f"{primary}_{target}" in v}
        best = (max if higher_is_better else min)(scored, key=scored.__getitem__)
        out.setdefault(best, []).append(target)
    return out
