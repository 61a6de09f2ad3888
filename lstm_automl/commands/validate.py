"""``lstm-sweep validate``: check a sweep file (and its data) and summarise the space, through
``lstm_automl.api.validate``'s checks (one code path).

Reads only: it never imports TensorFlow and never touches MLflow.
"""

from __future__ import annotations

import argparse
import os

from lstm_automl.api import validate


def validate_command(args: argparse.Namespace) -> int:
    """``lstm-sweep validate``: check a sweep file (and its data unless ``--no-data``) and print
    a summary of the space; imports no TensorFlow, JAX or MLflow and writes nothing.

    Args:
        args: ``sweep_file``, ``overrides`` (``--set``) and ``no_data``.

    Returns:
        0 done; bad input raises the project's errors (``errors.py``), which ``cli.main``
        turns into one line and exit 2.
    """
    # The checks' arithmetic is a few hundred numbers; OpenBLAS starting a thread per core when
    # numpy loads cost validate ~10 % of its time (issue 25). A user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    checked = validate(args.sweep_file, getattr(args, "overrides", None) or [],
                       data=not args.no_data)
    for line in checked.lines():
        print(line)
    return 0
