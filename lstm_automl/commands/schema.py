"""``lstm-sweep schema``: the JSON Schema of sweep files, for editors (no TensorFlow)."""

from __future__ import annotations

import argparse

from lstm_automl.sweep_file.json_schema import schema_text


def schema_command(args: argparse.Namespace) -> int:
    print(schema_text(indent=args.indent))
    return 0
