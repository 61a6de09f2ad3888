"""``lstm-sweep leaderboard``: the trials of a sweep, best first, read from the tracking store.

Reads only, through MlflowClient (a local store or a remote server); never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import sys

from lstm_automl.framework_logs import quiet_frameworks
from lstm_automl.report.leaderboard import registered_version, render
from lstm_automl.tracking.read_back import read_sweep


def leaderboard_command(args: argparse.Namespace) -> int:
    """``lstm-sweep leaderboard``: the trials of a recorded sweep, best first, one row per trial.

    Args:
        args: ``sweep`` (a sweep file, name or run id; default the latest), ``tracking_uri``,
            ``format`` (table, csv, json, markdown) and ``all_attempts``.

    Returns:
        0 done; bad input raises the project's errors (``errors.py``), which ``cli.main``
        turns into one line and exit 2.
    """
    quiet_frameworks()

    client, sweep = read_sweep(args.tracking_uri, args.sweep,
                               getattr(args, "all_attempts", False))
    sys.stdout.write(render(sweep, args.format, registered_version(client, sweep)))
    return 0
