"""``lstm-sweep validate``: check a sweep file (and its data) and summarise the space, through
``lstm_automl.api.validate``'s checks (one code path).

Reads only: it never imports TensorFlow and never touches MLflow.
"""

from __future__ import annotations

import argparse

from lstm_automl.api import validate


def validate_command(args: argparse.Namespace) -> int:
    checked = validate(args.sweep_file, getattr(args, "overrides", None) or [],
                       data=not args.no_data)
    for line in checked.lines():
        print(line)
    return 0
