"""``lstm-sweep schema``: the JSON Schema of sweep files, for editors (no TensorFlow)."""

from __future__ import annotations

import argparse

from lstm_automl.sweep_file.json_schema import schema_text


def schema_command(args: argparse.Namespace) -> int:
    """``lstm-sweep schema``: print the JSON Schema of sweep files (no TensorFlow).

    Args:
        args: ``indent`` of the JSON.

    Returns:
        0.
    """
    print(schema_text(indent=args.indent))
    return 0
