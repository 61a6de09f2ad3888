"""``lstm-sweep leaderboard``: the trials of a sweep, best first, read from the tracking store.

Reads only, through MlflowClient (a local store or a remote server); never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import sys

from lstm_automl.framework_logs import quiet_frameworks


def leaderboard_command(args: argparse.Namespace) -> int:
    quiet_frameworks()
    from lstm_automl.report.leaderboard import registered_version, render
    from lstm_automl.report.store import read_sweep

    client, sweep = read_sweep(args.tracking_uri, args.sweep,
                               getattr(args, "all_attempts", False))
    sys.stdout.write(render(sweep, args.format, registered_version(client, sweep)))
    return 0
